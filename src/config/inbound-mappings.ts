// Loads inverse mappings from mappings/inbound/<name>/mapping.yaml (compiled once, at start-up) and
// finds their golden examples (<name>/examples/<example>.input.json + .expected.json).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { configError } from '../errors/index.js';
import { type CompiledInverseMapping, compileInverseMapping } from '../intake/index.js';
import { loadYamlFile } from './yaml.js';

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function loadInboundMapping(mappingsDir: string, name: string): CompiledInverseMapping {
  if (!NAME.test(name)) throw configError('inbound mapping name: must be kebab-case');
  const abs = path.join(path.resolve(mappingsDir), 'inbound', name, 'mapping.yaml');
  const file = `mappings/inbound/${name}/mapping.yaml`;
  if (!existsSync(abs)) throw configError(`${file}: no such inbound mapping`);
  return compileInverseMapping(name, loadYamlFile(abs, file));
}

/** The inverse mappings in `mappings/inbound/` (folders holding a mapping.yaml), sorted. */
export function listInboundMappings(mappingsDir: string): string[] {
  const dir = path.join(path.resolve(mappingsDir), 'inbound');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'mapping.yaml')))
    .map((d) => d.name)
    .sort();
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
