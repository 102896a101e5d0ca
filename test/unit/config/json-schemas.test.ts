// The JSON Schemas an editor uses for navbridge's files (schemas/config/, generated from the zod
// schemas): every shipped file points at its schema on line 1 and is valid against it, and the schemas
// catch the mistakes the loaders refuse (an unknown key, a wrong enum value).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_SCHEMAS, renderConfigSchema } from '../../../scripts/config-schemas.js';

const SHIPPED: [string, keyof typeof CONFIG_SCHEMAS][] = [
  ['navbridge.config.example.yaml', 'navbridge-config'],
  ['mappings/code-tables.yaml', 'code-tables'],
  ['mappings/referral/mapping.yaml', 'mapping'],
  ['mappings/assessment/mapping.yaml', 'mapping'],
  ['mappings/support-plan/mapping.yaml', 'mapping'],
  ['mappings/event/mapping.yaml', 'mapping'],
  ['mappings/sites/leeds-north/site.yaml', 'site'],
  ['mappings/sites/cardiff-vale/site.yaml', 'site'],
  ['mappings/sites/cardiff-vale/referral.yaml', 'mapping-override'],
  ['mappings/sites/cardiff-vale/code-tables.yaml', 'code-tables'],
  ['mappings/inbound/fhir-referral/mapping.yaml', 'inbound-mapping'],
];

function validatorOf(name: keyof typeof CONFIG_SCHEMAS) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(`schemas/config/${name}.schema.json`, 'utf8')));
}

describe('JSON Schemas of navbridge files', () => {
  it('are the committed files, generated from the zod schemas (npm run schemas:build)', () => {
    for (const name of Object.keys(CONFIG_SCHEMAS) as (keyof typeof CONFIG_SCHEMAS)[])
      expect(readFileSync(`schemas/config/${name}.schema.json`, 'utf8'), name).toBe(renderConfigSchema(name));
  });

  for (const [file, name] of SHIPPED) {
    it(`${file}: names ${name}.schema.json on line 1 and is valid against it`, () => {
      const text = readFileSync(file, 'utf8');
      const first = text.split('\n')[0] ?? '';
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m, first).not.toBeNull();
      expect(path.normalize(path.join(path.dirname(file), m![1]!))).toBe(
        `schemas/config/${name}.schema.json`,
      );
      const validate = validatorOf(name);
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it('flags an unknown key and a wrong value, as the loaders do', () => {
    const site = parse(readFileSync('mappings/sites/leeds-north/site.yaml', 'utf8'));
    const validate = validatorOf('site');
    expect(validate({ ...site, nation: 'narnia' })).toBe(false);
    expect(validate({ ...site, colour: 'blue' })).toBe(false);
    const mapping = validatorOf('inbound-mapping');
    const inbound = parse(readFileSync('mappings/inbound/fhir-referral/mapping.yaml', 'utf8'));
    expect(mapping({ ...inbound, bogusKey: 1 })).toBe(false);
  });
});
