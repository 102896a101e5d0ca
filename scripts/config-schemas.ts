// The JSON Schemas of navbridge's own files, generated from the zod schemas the loaders validate
// with (so an editor checks exactly what navbridge will): config file, site settings, mapping files,
// site overrides, code tables and inverse mappings.
import { z } from 'zod';
import { inverseMappingSchema } from '../src/intake/inverse-mapping.js';
import { codeTablesFileSchema, mappingFileSchema, mappingOverrideSchema } from '../src/mapping/schema.js';
import { appConfigSchema } from '../src/settings/app-config.js';
import { siteSettingsSchema } from '../src/settings/site.js';

const ID_BASE = 'https://fhir.navbridge.org.uk/schemas/config/v1';

export const CONFIG_SCHEMAS = {
  'navbridge-config': { schema: appConfigSchema, title: 'navbridge.config.yaml' },
  site: { schema: siteSettingsSchema, title: 'mappings/sites/<site>/site.yaml' },
  mapping: { schema: mappingFileSchema, title: 'mappings/<record-type>/mapping.yaml' },
  'mapping-override': { schema: mappingOverrideSchema, title: 'mappings/sites/<site>/<record-type>.yaml' },
  'code-tables': {
    schema: codeTablesFileSchema,
    title: 'mappings/code-tables.yaml and a site’s code-tables.yaml',
  },
  'inbound-mapping': { schema: inverseMappingSchema, title: 'mappings/inbound/<name>/mapping.yaml' },
} as const;

export function renderConfigSchema(name: keyof typeof CONFIG_SCHEMAS): string {
  const { schema, title } = CONFIG_SCHEMAS[name];
  // io 'input': what an author writes (defaults optional); names and cross-file rules are `mappings check`'s.
  const json = z.toJSONSchema(schema as z.ZodType, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  });
  const doc = {
    $schema: json.$schema,
    $id: `${ID_BASE}/${name}.schema.json`,
    title: `navbridge ${title}`,
    description:
      'Generated from the zod schema navbridge validates this file with (npm run schemas:build). Expressions, names, codes and file names are checked by `navbridge mappings check`.',
    ...Object.fromEntries(Object.entries(json).filter(([k]) => k !== '$schema')),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
