// Loads the conformance resources SUSHI generated (profiles/fsh-generated/resources/*.json) for the
// validator: StructureDefinitions (with snapshots), CodeSystems, ValueSets and Questionnaires.
import fs from 'node:fs';
import path from 'node:path';
import type { CodeSystem, Questionnaire, Resource, StructureDefinition, ValueSet } from 'fhir/r4.js';
import { configError } from '../errors/index.js';
import type { Conformance } from '../fhir/validation-types.js';
import { loadBaseDefinitions } from './base-definitions.js';

export type { Conformance } from '../fhir/validation-types.js';

export const GENERATED_RESOURCES_DIR = path.join('fsh-generated', 'resources');

/** Reads every generated resource; fails (CONFIG_ERROR) when the directory is missing or a file is not JSON. */
export function loadConformance(profilesDir = 'profiles'): Conformance {
  const dir = path.join(profilesDir, GENERATED_RESOURCES_DIR);
  if (!fs.existsSync(dir)) {
    throw configError(`No generated profiles in ${dir} (run npm run profiles:build)`);
  }
  const out: Conformance = {
    structureDefinitions: [],
    codeSystems: [],
    valueSets: [],
    questionnaires: [],
    base: () => loadBaseDefinitions(),
  };
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    let resource: Resource;
    try {
      resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Resource;
    } catch {
      throw configError(`${path.join(dir, file)} is not valid JSON`);
    }
    switch (resource.resourceType) {
      case 'StructureDefinition':
        out.structureDefinitions.push(resource as StructureDefinition);
        break;
      case 'CodeSystem':
        out.codeSystems.push(resource as CodeSystem);
        break;
      case 'ValueSet':
        out.valueSets.push(resource as ValueSet);
        break;
      case 'Questionnaire':
        out.questionnaires.push(resource as Questionnaire);
        break;
      default:
        break; // examples or other instances are not conformance resources
    }
  }
  return out;
}
