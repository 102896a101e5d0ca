// Loads mapping files, code tables and site settings from mappings/ (YAML) and compiles them; finds
// golden examples. Every problem is reported at once, naming the file and the path inside it.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { configError } from '../errors/index.js';
import { type CompiledMapping, compileMapping, configFileIssues, type SourceFile } from '../mapping/index.js';
import { RECORD_TYPES, type RecordType } from '../records/index.js';
import { type SiteSettings, siteSettingsSchema } from '../settings/site.js';
import { deepFreeze, loadYamlFile } from './yaml.js';

/** How files are named in diagnostics: relative to the parent of the mappings directory (`mappings/…`). */
function displayName(mappingsDir: string, abs: string): string {
  const rel = path.relative(path.dirname(path.resolve(mappingsDir)), abs);
  return rel.split(path.sep).join('/');
}

const siteDir = (mappingsDir: string, siteId: string): string =>
  path.join(path.resolve(mappingsDir), 'sites', siteId);

/** Site ids that have a `site.yaml`, sorted. */
export function listSites(mappingsDir: string): string[] {
  const dir = path.join(path.resolve(mappingsDir), 'sites');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'site.yaml')))
    .map((d) => d.name)
    .sort();
}

export function loadSiteSettings(mappingsDir: string, siteId: string): SiteSettings {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(siteId)) throw configError(`'${siteId}' is not a valid site id`);
  const abs = path.join(siteDir(mappingsDir, siteId), 'site.yaml');
  const name = displayName(mappingsDir, abs);
  if (!existsSync(abs)) {
    throw configError(
      `unknown site '${siteId}': ${name} does not exist (sites: ${listSites(mappingsDir).join(', ') || 'none'})`,
    );
  }
  const src = loadYamlFile(abs, name);
  const parsed = siteSettingsSchema.safeParse(src.data);
  if (!parsed.success) throw configError(configFileIssues(name, parsed.error, src.data));
  if (parsed.data.id !== siteId)
    throw configError(`${name} id: must be '${siteId}' (the directory name)`, { expression: 'id' });
  return deepFreeze(parsed.data);
}

/** Loads the base mapping of a record type with the site's override and code tables, and compiles it. */
export function loadMapping(mappingsDir: string, recordType: RecordType, siteId?: string): CompiledMapping {
  const root = path.resolve(mappingsDir);
  const load = (abs: string): SourceFile => loadYamlFile(abs, displayName(mappingsDir, abs));
  const mappingPath = path.join(root, recordType, 'mapping.yaml');
  if (!existsSync(mappingPath))
    throw configError(
      `no mapping for '${recordType}': ${displayName(mappingsDir, mappingPath)} does not exist`,
    );
  const codeTables: SourceFile[] = [];
  const baseTables = path.join(root, 'code-tables.yaml');
  if (existsSync(baseTables)) codeTables.push(load(baseTables));
  let override: SourceFile | undefined;
  if (siteId !== undefined) {
    const dir = siteDir(mappingsDir, siteId);
    const siteTables = path.join(dir, 'code-tables.yaml');
    if (existsSync(siteTables)) codeTables.push(load(siteTables));
    const overridePath = path.join(dir, `${recordType}.yaml`);
    if (existsSync(overridePath)) override = load(overridePath);
  }
  return compileMapping({ mapping: load(mappingPath), ...(override ? { override } : {}), codeTables });
}

/** Record types that have a `mappings/<type>/mapping.yaml`. */
export function listRecordTypes(mappingsDir: string): RecordType[] {
  return RECORD_TYPES.filter((t) => existsSync(path.join(path.resolve(mappingsDir), t, 'mapping.yaml')));
}

export interface GoldenExample {
  recordType: RecordType;
  /** Set for site-specific goldens (mapped with that site's override); else the record's `site`. */
  site?: string;
  name: string;
  /** Display name, e.g. `mappings/referral/examples/accepted`. */
  label: string;
  input: string;
  format: 'json' | 'csv';
  expected: string;
  context?: string;
}

function examplesIn(
  dir: string,
  recordType: RecordType,
  mappingsDir: string,
  site?: string,
): GoldenExample[] {
  if (!existsSync(dir)) return [];
  const out: GoldenExample[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(.+)\.input\.(json|csv)$/.exec(file);
    if (!m) continue;
    const [, name, format] = m as unknown as [string, string, 'json' | 'csv'];
    const context = path.join(dir, `${name}.context.json`);
    out.push({
      recordType,
      ...(site ? { site } : {}),
      name,
      label: displayName(mappingsDir, path.join(dir, name)),
      input: path.join(dir, file),
      format,
      expected: path.join(dir, `${name}.expected.json`),
      ...(existsSync(context) ? { context } : {}),
    });
  }
  return out;
}

/**
 * Every golden example: `mappings/<type>/examples/<name>.input.json|csv` and
 * `mappings/sites/<site>/examples/<type>/<name>.input.json|csv`, in a stable order.
 */
export function findGoldenExamples(mappingsDir: string): GoldenExample[] {
  const root = path.resolve(mappingsDir);
  const out: GoldenExample[] = [];
  for (const t of RECORD_TYPES) out.push(...examplesIn(path.join(root, t, 'examples'), t, mappingsDir));
  for (const site of listSites(mappingsDir)) {
    for (const t of RECORD_TYPES) {
      out.push(...examplesIn(path.join(siteDir(mappingsDir, site), 'examples', t), t, mappingsDir, site));
    }
  }
  return out;
}
