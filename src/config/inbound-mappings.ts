// Loads inverse mappings from mappings/inbound/<name>/mapping.yaml (compiled once per name) and finds
// their golden examples (<name>/examples/<example>.input.json + .expected.json).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { NavbridgeError } from '../fhir/outcome.js';
import { type CompiledInverseMapping, compileInverseMapping } from '../intake/inverse-mapping.js';
import { loadYamlFile } from './mappings.js';

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function loadInboundMapping(mappingsDir: string, name: string): CompiledInverseMapping {
  if (!NAME.test(name)) throw new NavbridgeError('CONFIG_ERROR', `inbound mapping name: must be kebab-case`);
  const abs = path.join(path.resolve(mappingsDir), 'inbound', name, 'mapping.yaml');
  const file = `mappings/inbound/${name}/mapping.yaml`;
  if (!existsSync(abs)) throw new NavbridgeError('CONFIG_ERROR', `${file}: no such inbound mapping`);
  return compileInverseMapping(name, loadYamlFile(abs, file));
}

/** A cache so each request does not recompile (mapping files change only with a restart). */
export function inboundMappingCache(mappingsDir: string): (name: string) => CompiledInverseMapping {
  const cache = new Map<string, CompiledInverseMapping>();
  return (name) => {
    let m = cache.get(name);
    if (!m) {
      m = loadInboundMapping(mappingsDir, name);
      cache.set(name, m);
    }
    return m;
  };
}

export interface InboundGolden {
  name: string;
  input: string;
  expected: string;
  /** Optional `<name>.context.json`: {partner, now}. */
  context?: string;
}

export function findInboundGoldens(mappingsDir: string, mapping: string): InboundGolden[] {
  const dir = path.join(path.resolve(mappingsDir), 'inbound', mapping, 'examples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.input.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.input.json'.length);
      const context = path.join(dir, `${name}.context.json`);
      return {
        name,
        input: path.join(dir, f),
        expected: path.join(dir, `${name}.expected.json`),
        ...(existsSync(context) ? { context } : {}),
      };
    });
}
