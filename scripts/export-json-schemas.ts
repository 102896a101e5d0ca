// Writes schemas/<record-type>.schema.json (JSON Schema 2020-12) from the zod record schemas, for other
// teams' systems, and schemas/config/<file>.schema.json from the zod schemas of navbridge.config.yaml,
// site.yaml, mapping files and code tables, for editors (`# yaml-language-server: $schema=` in the
// shipped files). `--check` exits 1 when the committed files differ from what would be written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { RECORD_SCHEMAS } from '../src/records/check.js';
import { RECORD_TYPES } from '../src/records/codes.js';
import { CONFIG_SCHEMAS, renderConfigSchema } from './config-schemas.js';

const SCHEMAS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');
const ID_BASE = 'https://fhir.navbridge.org.uk/schemas/records/v1';

export function renderSchema(type: (typeof RECORD_TYPES)[number]): string {
  // io 'input': fields with defaults (sharing.statusUpdates) are optional for senders.
  const schema = z.toJSONSchema(RECORD_SCHEMAS[type], {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  });
  const doc = {
    $schema: schema.$schema,
    $id: `${ID_BASE}/${type}.schema.json`,
    title: `navbridge ${type} record v1`,
    description:
      'Calendar validity, "not in the future" (Europe/London), ordering, identifier check digits and unique ids are checked by navbridge in addition to this schema.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const stale: string[] = [];
  if (!check) mkdirSync(SCHEMAS_DIR, { recursive: true });
  if (!check) mkdirSync(join(SCHEMAS_DIR, 'config'), { recursive: true });
  const files: [string, () => string][] = [
    ...RECORD_TYPES.map((type): [string, () => string] => [`${type}.schema.json`, () => renderSchema(type)]),
    ...Object.keys(CONFIG_SCHEMAS).map((name): [string, () => string] => [
      `config/${name}.schema.json`,
      () => renderConfigSchema(name as keyof typeof CONFIG_SCHEMAS),
    ]),
  ];
  for (const [rel, render] of files) {
    const file = join(SCHEMAS_DIR, rel);
    const text = render();
    if (!check) {
      writeFileSync(file, text);
      continue;
    }
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // a missing file is stale
    }
    if (current !== text) stale.push(file);
  }
  if (stale.length > 0) {
    console.error(`JSON Schemas out of date (run npm run schemas:build): ${stale.join(', ')}`);
    return 1;
  }
  return 0;
}

// Run only as a script, so tests can import renderSchema without writing files.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
