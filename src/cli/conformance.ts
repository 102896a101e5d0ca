// Builds the validator once per process from the generated conformance resources in profiles/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeSystem, Questionnaire, StructureDefinition, ValueSet } from 'fhir/r4.js';
import { type Conformance, createValidator, type Validator } from '../fhir/validate.js';
import { UsageError } from './io.js';

const cache = new Map<string, { conformance: Conformance; validator: Validator }>();

function readConformance(profilesDir: string): Conformance {
  const dir = path.join(profilesDir, 'fsh-generated', 'resources');
  if (!existsSync(dir)) {
    throw new UsageError(`no generated profiles in ${dir}`, ['run `npm run profiles:build` first']);
  }
  const out: Conformance = { structureDefinitions: [], codeSystems: [], valueSets: [], questionnaires: [] };
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json')) continue;
    const resource = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { resourceType?: string };
    if (resource.resourceType === 'StructureDefinition')
      out.structureDefinitions.push(resource as StructureDefinition);
    else if (resource.resourceType === 'CodeSystem') out.codeSystems.push(resource as CodeSystem);
    else if (resource.resourceType === 'ValueSet') out.valueSets.push(resource as ValueSet);
    else if (resource.resourceType === 'Questionnaire') out.questionnaires.push(resource as Questionnaire);
  }
  return out;
}

/** The conformance and its validator for a profiles directory (built once: indexing is slow). */
export function getConformance(profilesDir: string): { conformance: Conformance; validator: Validator } {
  const key = path.resolve(profilesDir);
  let hit = cache.get(key);
  if (!hit) {
    const conformance = readConformance(key);
    hit = { conformance, validator: createValidator(conformance) };
    cache.set(key, hit);
  }
  return hit;
}
