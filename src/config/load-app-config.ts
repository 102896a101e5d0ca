// Loads navbridge.config.yaml (path from NAVBRIDGE_CONFIG) and the connection settings from the
// environment. Each command asks only for what it needs: `map` needs no partner secret.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { issue, NavbridgeError } from '../fhir/outcome.js';
import { zodIssues } from '../mapping/compile.js';
import { type AppConfig, appConfigSchema, crossCheckPartners, type PartnerConfig } from './app-config.js';
import { loadYamlFile } from './mappings.js';

export const DEFAULT_CONFIG_FILE = 'navbridge.config.yaml';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadedConfig extends AppConfig {
  /** Absolute path of the file read. */
  file: string;
  /** Directories resolved against the config file's folder. */
  mappingsDirAbs: string;
  profilesDirAbs: string;
}

export function loadAppConfig(env: Env, cwd = process.cwd()): LoadedConfig {
  const file = path.resolve(cwd, env.NAVBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    throw new NavbridgeError('CONFIG_ERROR', [
      issue({
        code: 'not-found',
        diagnostics: `configuration file ${path.relative(cwd, file) || file} not found (set NAVBRIDGE_CONFIG or copy navbridge.config.example.yaml)`,
        errorCode: 'CONFIG_ERROR',
      }),
    ]);
  }
  const src = loadYamlFile(file, path.basename(file));
  const parsed = appConfigSchema.safeParse(src.data ?? {});
  if (!parsed.success) {
    const issues = zodIssues(src.file, parsed.error, src.data);
    const raw = (src.data ?? {}) as { partners?: unknown };
    const known = new Set(issues.map((i) => i.diagnostics));
    for (const c of crossCheckPartners(raw.partners)) {
      const where = c.path
        .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
        .join('')
        .replace(/^\./, '');
      const diagnostics = `${src.file} ${where}: ${c.message}`;
      if (!known.has(diagnostics))
        issues.push(issue({ code: 'invalid', diagnostics, expression: where, errorCode: 'CONFIG_ERROR' }));
    }
    throw new NavbridgeError('CONFIG_ERROR', issues);
  }
  const dir = path.dirname(file);
  return Object.freeze({
    ...parsed.data,
    file,
    mappingsDirAbs: path.resolve(dir, parsed.data.mappingsDir),
    profilesDirAbs: path.resolve(dir, parsed.data.profilesDir),
  });
}

export const databaseUrl = (env: Env): string => env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
export const redisUrl = (env: Env): string => env.REDIS_URL ?? DEFAULT_REDIS_URL;

/** Reads a secret named by the config; a missing one is a configuration error, never defaulted. */
export function requireSecret(env: Env, name: string, what: string, minLength = 1): string {
  const value = env[name];
  if (value === undefined || value.length < minLength) {
    throw new NavbridgeError('CONFIG_ERROR', [
      issue({
        code: 'required',
        diagnostics: `${what}: environment variable ${name} must be set${minLength > 1 ? ` (at least ${minLength} characters)` : ''}`,
        errorCode: 'CONFIG_ERROR',
      }),
    ]);
  }
  return value;
}

/** Every secret the partners' auth settings name, checked at once (for `worker` and `serve`). */
export function assertPartnerSecrets(cfg: AppConfig, env: Env): void {
  const missing: string[] = [];
  const check = (p: PartnerConfig, name: string) => {
    if (!env[name]) missing.push(`partners[${p.id}].auth: environment variable ${name} must be set`);
  };
  for (const p of cfg.partners) {
    if (p.auth.type === 'bearer') check(p, p.auth.tokenEnv);
    if (p.auth.type === 'oauth2-client-credentials') check(p, p.auth.privateKeyEnv);
  }
  if (missing.length > 0) {
    throw new NavbridgeError(
      'CONFIG_ERROR',
      missing.map((m) => issue({ code: 'required', diagnostics: m, errorCode: 'CONFIG_ERROR' })),
    );
  }
}
