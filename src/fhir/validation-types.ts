// Types shared by the validator modules: the conformance resources navbridge publishes (loaded by
// src/config/profiles.ts) and the validator built from them (src/fhir/validate.ts).
import type {
  Bundle,
  CodeSystem,
  OperationOutcomeIssue,
  Questionnaire,
  Resource,
  StructureDefinition,
  ValueSet,
} from 'fhir/r4.js';
import type { BaseDefinitions } from './base-definitions.js';

/** The generated conformance resources of profiles/fsh-generated. */
export interface Conformance {
  structureDefinitions: StructureDefinition[];
  codeSystems: CodeSystem[];
  valueSets: ValueSet[];
  questionnaires: Questionnaire[];
  /**
   * Gives the base R4 definitions (slim, see base-definitions.ts), read when the validator is built and
   * not kept; without it, medplum's full bundles are read.
   */
  base?: () => BaseDefinitions;
}

export interface Validator {
  /** Validates against `profileUrl`, else against each profile in `meta.profile`, else the base type. */
  validateResource(resource: Resource, profileUrl?: string): OperationOutcomeIssue[];
  /** Validates the Bundle and each entry against its own `meta.profile`; paths `Bundle.entry[i].resource…`. */
  validateBundle(bundle: Bundle): OperationOutcomeIssue[];
}

/** A JSON object as found in a resource (the walkers treat resources as plain JSON). */
export type JsonObject = { [key: string]: unknown };

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
