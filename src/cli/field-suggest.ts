// The nearest valid key for an "unknown field" in a mappings file (`resources[task].resourceTyp` →
// `resourceType`), read from the JSON Schema of the zod schema that file is loaded with.
import { z } from 'zod';
import { inverseMappingSchema } from '../intake/index.js';
import { didYouMean } from '../mapping/names.js';
import { codeTablesFileSchema, mappingFileSchema, mappingOverrideSchema } from '../mapping/schema.js';
import { siteSettingsSchema } from '../settings/site.js';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: unknown;
};

function schemaOf(file: string): z.ZodType | undefined {
  if (/\/inbound\/[^/]+\/mapping\.yaml$/.test(file)) return inverseMappingSchema;
  if (/\/site\.yaml$/.test(file)) return siteSettingsSchema;
  if (/code-tables\.yaml$/.test(file)) return codeTablesFileSchema;
  if (/\/sites\/[^/]+\/[^/]+\.yaml$/.test(file)) return mappingOverrideSchema;
  if (/\/mapping\.yaml$/.test(file)) return mappingFileSchema;
  return undefined;
}

const cache = new Map<z.ZodType, JsonSchema>();

/** ` (did you mean 'x'?)` for the last key of `path` in `file`, or ''. */
export function fieldSuggestion(file: string, path: string): string {
  const zod = schemaOf(file);
  if (!zod) return '';
  let node = cache.get(zod);
  if (!node) {
    node = z.toJSONSchema(zod, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    cache.set(zod, node);
  }
  const parts = [...path.matchAll(/([^.[\]]+)|\[[^\]]*\]/g)].map((m) => m[1] ?? '[]');
  const last = parts.pop();
  for (const p of parts) {
    node =
      p === '[]'
        ? node?.items
        : (node?.properties?.[p] ?? (node?.additionalProperties as JsonSchema | undefined));
    if (!node) return '';
  }
  return last && node?.properties ? didYouMean(last, Object.keys(node.properties)) : '';
}
