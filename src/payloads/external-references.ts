// References to resources outside a payload (issue 11 §4). A mapping names such a resource by
// navbridge's id and its business identifier (`{reference: "ServiceRequest/<uuid>", type, identifier}`);
// a partner that assigned its own ids cannot resolve navbridge's id, so before a payload leaves, each
// such reference becomes the partner's id (when the partner told us) or a logical identifier reference.
import type { Bundle, Reference, Resource } from 'fhir/r4.js';

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Type/id` (relative, no history, no base URL): what a mapping writes for a resource outside its record. */
const RELATIVE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9.-]{1,64})$/;

export interface LocalTarget {
  resourceType: string;
  id: string;
}

export function parseRelative(reference: string | undefined): LocalTarget | undefined {
  const m = RELATIVE.exec(reference ?? '');
  return m ? { resourceType: m[1]!, id: m[2]! } : undefined;
}

/** Maps every Reference object (an object with `reference`, `identifier` or `type` + `display`). */
function mapReferences<T>(value: T, fn: (ref: Reference) => Reference): T {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    // An `identifier` holds no Reference worth rewriting (and a logical Reference's is kept as it is).
    const mapped = typeof v.reference === 'string' ? (fn(v as Reference) as Record<string, Json>) : v;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(mapped)) out[k] = k === 'identifier' ? x : walk(x);
    return out;
  };
  return walk(value) as T;
}

/** Calls `fn` for every Reference object, as mapReferences visits them, without copying anything. */
function forEachReference(value: Json, fn: (ref: Reference) => void): void {
  if (Array.isArray(value)) {
    for (const x of value) forEachReference(x, fn);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.reference === 'string') fn(value as Reference);
  for (const k in value) if (k !== 'identifier' && Object.hasOwn(value, k)) forEachReference(value[k], fn);
}

const entryKey = (t: LocalTarget) => `${t.resourceType}/${t.id}`;

/** The relative references of a payload's resources that point outside it (by navbridge id). */
export function externalTargets(bundle: Bundle): LocalTarget[] {
  const inside = new Set(
    (bundle.entry ?? []).flatMap((e) => (e.resource?.id ? [entryKey(e.resource as LocalTarget)] : [])),
  );
  const found = new Map<string, LocalTarget>();
  for (const e of bundle.entry ?? [])
    forEachReference(e.resource, (ref) => {
      const t = parseRelative(ref.reference);
      if (t && !inside.has(entryKey(t))) found.set(entryKey(t), t);
    });
  return [...found.values()];
}

export interface ResolveOptions {
  /** The partner resolves `urn:uuid:` fullUrls inside the Bundle (transaction, message, document). */
  linkEntries: boolean;
}

/**
 * A copy of `bundle` whose references point where the partner can follow them: to an entry of the
 * payload (its fullUrl, when the partner resolves those), to the partner's own id of the resource
 * (`partnerIds`, by `Type/navbridge-id`), or, failing both, to the resource's business identifier
 * (`{type, identifier}`, navbridge's id dropped). A reference with neither is left as it is.
 */
export function resolveExternalReferences(
  bundle: Bundle,
  partnerIds: ReadonlyMap<string, string>,
  opts: ResolveOptions,
): Bundle {
  const fullUrls = new Map(
    (bundle.entry ?? []).flatMap((e) =>
      opts.linkEntries && e.resource?.id && e.fullUrl
        ? [[entryKey(e.resource as LocalTarget), e.fullUrl] as const]
        : [],
    ),
  );
  const rewrite = (ref: Reference): Reference => {
    const t = parseRelative(ref.reference);
    if (!t) return ref;
    const key = entryKey(t);
    const fullUrl = fullUrls.get(key);
    if (fullUrl) return { ...ref, reference: fullUrl };
    const theirs = partnerIds.get(key);
    if (theirs) return { ...ref, reference: `${t.resourceType}/${theirs}` };
    if (!ref.identifier?.system || !ref.identifier.value) return ref;
    const { reference: _navbridgeId, ...logical } = ref;
    return { ...logical, type: ref.type ?? t.resourceType };
  };
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e) =>
      e.resource ? { ...e, resource: mapReferences(e.resource, rewrite) } : e,
    ),
  };
}

/** For payloads no partner id can be looked up for (message, document): entries or identifiers. */
export function withLogicalReferences<R extends Resource>(resources: readonly R[]): R[] {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((r) => ({ fullUrl: `urn:uuid:${r.id ?? ''}`, resource: r })),
  };
  return (resolveExternalReferences(bundle, new Map(), { linkEntries: true }).entry ?? []).map(
    (e) => e.resource as R,
  );
}
