// Builds the validator once per process from the generated conformance resources in profiles/.
import path from 'node:path';
import { loadConformance } from '../config/profiles.js';
import { type Conformance, createValidator, type Validator } from '../fhir/validate.js';

const cache = new Map<string, { conformance: Conformance; validator: Validator }>();

/** The conformance and its validator for a profiles directory (built once: indexing is slow). */
export function getConformance(profilesDir: string): { conformance: Conformance; validator: Validator } {
  const key = path.resolve(profilesDir);
  let hit = cache.get(key);
  if (!hit) {
    const conformance = loadConformance(key);
    hit = { conformance, validator: createValidator(conformance) };
    cache.set(key, hit);
  }
  return hit;
}
