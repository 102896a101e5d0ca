// Reference plumbing shared by routing and the delivery forms: finding `urn:uuid:` references,
// turning them into logical (identifier) references, and ordering resources dependencies-first.
import type { Identifier, Reference, Resource } from 'fhir/r4.js';
import { IDENTIFIER_SYSTEMS, PROFILES } from '../fhir/canonical.js';

type Json = unknown;
type Ident = { system: string; value: string };

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isUrn = (v: Json): v is string => typeof v === 'string' && v.startsWith('urn:uuid:');

export const fullUrlOf = (resource: Resource): string => `urn:uuid:${resource.id ?? ''}`;

function identifierList(resource: Resource): Identifier[] {
  const ident = (resource as { identifier?: Identifier | Identifier[] }).identifier;
  return ident === undefined ? [] : Array.isArray(ident) ? ident : [ident];
}

const complete = (i: Identifier | undefined): Ident | undefined =>
  i?.system && i.value ? { system: i.system, value: i.value } : undefined;

/** The identifier conditional create/update keys on: the first one with a system and a value. */
export function businessIdentifier(resource: Resource): Ident | undefined {
  return identifierList(resource)
    .map(complete)
    .find((i) => i !== undefined);
}

const NATIONAL_ORDER: readonly string[] = [
  IDENTIFIER_SYSTEMS['nhs-number'],
  IDENTIFIER_SYSTEMS.chi,
  IDENTIFIER_SYSTEMS['hc-number'],
];

/**
 * The identifier a partner finds the person by: NHS number, else CHI, else H&C number; a person
 * with none of them is referred to by navbridge's local identifier (the partner may not find them,
 * but nothing is invented).
 */
export function bestPatientIdentifier(patient: Resource): Ident | undefined {
  const all = identifierList(patient);
  for (const system of NATIONAL_ORDER) {
    const hit = complete(all.find((i) => i.system === system));
    if (hit) return hit;
  }
  return businessIdentifier(patient);
}

/** `{type, identifier}` for a resource that is not in the payload; `Type/id` when it has no identifier. */
export function logicalReference(target: Resource, original?: Reference): Reference {
  const ident =
    target.resourceType === 'Patient' ? bestPatientIdentifier(target) : businessIdentifier(target);
  if (!ident) return { reference: `${target.resourceType}/${target.id ?? ''}` };
  // A Patient reference carries no display: GP and trust systems own the person's details.
  const display = target.resourceType === 'Patient' ? undefined : original?.display;
  return { type: target.resourceType, identifier: ident, ...(display ? { display } : {}) };
}

/** Every `urn:uuid:` reference inside a value (Reference.reference only). */
export function urnReferences(value: Json): string[] {
  const out: string[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'reference' && isUrn(x)) out.push(x);
      else walk(x);
    }
  };
  walk(value);
  return out;
}

/**
 * A copy of `value` in which every Reference whose `reference` is a `urn:uuid:` that `replace` answers
 * for is replaced by the answer (the whole Reference object, so a stale `identifier` cannot linger).
 */
export function rewriteUrnReferences<T>(
  value: T,
  replace: (urn: string, ref: Reference) => Reference | undefined,
): T {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    if (isUrn(v.reference)) {
      const replacement = replace(v.reference, v as Reference);
      if (replacement) return replacement;
    }
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x);
    return out;
  };
  return walk(value) as T;
}

/**
 * Resources ordered so that what a resource references (by urn:uuid) comes before it — the order a
 * REST sender needs — keeping the given order otherwise. Reference cycles keep their given order.
 */
export function dependencyOrder<R extends Resource>(resources: readonly R[]): R[] {
  const byUrl = new Map(resources.map((r) => [fullUrlOf(r), r]));
  const done = new Set<R>();
  const visiting = new Set<R>();
  const out: R[] = [];
  const visit = (r: R): void => {
    if (done.has(r) || visiting.has(r)) return;
    visiting.add(r);
    for (const urn of urnReferences(r)) {
      const dep = byUrl.get(urn);
      if (dep && dep !== r) visit(dep);
    }
    visiting.delete(r);
    done.add(r);
    out.push(r);
  };
  for (const r of resources) visit(r);
  return out;
}

/** An onward referral made by a support plan (as opposed to the referral into the navigator service). */
export function isOnwardReferral(resource: Resource): boolean {
  if (resource.resourceType !== 'ServiceRequest') return false;
  if (resource.meta?.profile?.includes(PROFILES['navbridge-onward-referral'])) return true;
  return identifierList(resource).some((i) => i.system?.endsWith('/support-plan-onward-referral') === true);
}

/**
 * The Task of an onward referral (Gravity: the coordination platform's request to the service referred
 * on to, partOf the referral Task), as opposed to the referral Task itself.
 */
export function isOnwardTask(resource: Resource): boolean {
  if (resource.resourceType !== 'Task') return false;
  if (resource.meta?.profile?.includes(PROFILES['navbridge-onward-task'])) return true;
  return identifierList(resource).some((i) => i.system?.endsWith('/support-plan-onward-task') === true);
}

/** An onward Task's focus when it is in `byUrl` (by its `urn:uuid:`), else undefined. */
export function onwardTaskFocus<R extends Resource>(
  resource: Resource,
  byUrl: ReadonlyMap<string, R>,
): R | undefined {
  if (!isOnwardTask(resource)) return undefined;
  const focus = (resource as { focus?: Reference }).focus?.reference;
  return focus ? byUrl.get(focus) : undefined;
}

/** `system|value` for a search URL: reserved query characters escaped, `:` and `/` kept readable. */
export function identifierToken(ident: { system: string; value: string }): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
  return `${enc(ident.system)}|${enc(ident.value)}`;
}
