// Loads the environment (one schema) and navbridge.config.yaml (path from NAVBRIDGE_CONFIG), every
// problem reported at once, and checks the secrets a command needs. Secrets never live in the file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { configError, issue, zodIssues } from '../errors/index.js';
import { configFileIssues } from '../mapping/index.js';
import { type AppConfig, appConfigSchema, crossCheckPartners } from '../settings/app-config.js';
import {
  type Env,
  type EnvSettings,
  envSchema,
  readSecrets,
  type SecretNeeds,
  type Secrets,
} from '../settings/env.js';
import { deepFreeze, loadYamlFile } from './yaml.js';

export interface LoadedConfig extends AppConfig {
  /** Absolute path of the file read. */
  readonly file: string;
  /** Directories resolved against the config file's folder. */
  readonly mappingsDirAbs: string;
  readonly profilesDirAbs: string;
}

/** The fixed-name environment variables, coerced and checked (CONFIG_ERROR naming each variable). */
export function readEnvironment(env: Env): EnvSettings {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return deepFreeze(parsed.data);
  throw configError(zodIssues(parsed.error.issues, { errorCode: 'CONFIG_ERROR', file: 'environment' }));
}

export function loadAppConfig(envSettings: Pick<EnvSettings, 'NAVBRIDGE_CONFIG'>, cwd: string): LoadedConfig {
  const file = path.resolve(cwd, envSettings.NAVBRIDGE_CONFIG);
  if (!existsSync(file)) {
    throw configError(
      `configuration file ${path.relative(cwd, file) || file} not found (set NAVBRIDGE_CONFIG or copy navbridge.config.example.yaml)`,
      { code: 'not-found' },
    );
  }
  const src = loadYamlFile(file, path.basename(file));
  const parsed = appConfigSchema.safeParse(src.data ?? {});
  if (!parsed.success) {
    const issues = configFileIssues(src.file, parsed.error, src.data);
    // zod skips refinements of an invalid object: the cross-partner rules run on the raw input too.
    const raw = (src.data ?? {}) as { partners?: unknown; sites?: unknown; siteClients?: unknown };
    const known = new Set(issues.map((i) => i.diagnostics));
    for (const c of crossCheckPartners(raw.partners, raw)) {
      const where = c.path
        .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
        .join('')
        .replace(/^\./, '');
      const diagnostics = `${src.file} ${where}: ${c.message}`;
      if (!known.has(diagnostics))
        issues.push(issue({ code: 'invalid', diagnostics, expression: where, errorCode: 'CONFIG_ERROR' }));
    }
    throw configError(issues);
  }
  const dir = path.dirname(file);
  return deepFreeze({
    ...parsed.data,
    file,
    mappingsDirAbs: path.resolve(dir, parsed.data.mappingsDir),
    profilesDirAbs: path.resolve(dir, parsed.data.profilesDir),
  });
}

/** The secrets the configuration names; a missing one a command needs is a CONFIG_ERROR, never defaulted. */
export function loadSecrets(env: Env, config: AppConfig, needs: SecretNeeds): Secrets {
  const { secrets, problems } = readSecrets(env, config, needs);
  if (problems.length > 0)
    throw configError(
      problems.map((p) =>
        issue({
          code: 'required',
          diagnostics: `${p.message}: environment variable ${p.variable}`,
          errorCode: 'CONFIG_ERROR',
        }),
      ),
    );
  return deepFreeze(secrets);
}
