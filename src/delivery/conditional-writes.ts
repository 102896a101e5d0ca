// Version-conditional writes, so that a write a partner applies late can never overwrite a newer one
// (as HAPI and Medplum clients do with If-Match): a resource this partner already holds is updated
// with If-Match on the version it last returned; one navbridge has no version of is created with
// If-None-Exist (so a late duplicate of the create does nothing). Two answers send the writes again,
// planned from the versions the partner holds then: 412 (a write landed since the version we know),
// and a create answered 200 (the resource existed: our content was not applied). Partners that
// return no versions get plain conditional updates (the README's delivery section says what
// navbridge assumes of partners).
import type { Bundle, BundleEntry, BundleEntryResponse } from 'fhir/r4.js';

/** What navbridge knows of a resource at one partner (src/store/partner-resources.ts). */
export interface KnownVersion {
  serverId: string;
  etag: string | undefined;
}

export const versionKey = (resourceType: string, id: string): string => `${resourceType}/${id}`;

/** A conditional update entry (`PUT Type?identifier=…`) of a resource with our id. */
const isConditionalUpdate = (e: BundleEntry): boolean =>
  e.request?.method === 'PUT' && (e.request.url ?? '').includes('?') && !!e.resource?.id;

/** The resources of a payload whose version matters: conditional updates. */
export function versionedResources(bundle: Bundle): { resourceType: string; id: string }[] {
  return (bundle.entry ?? [])
    .filter(isConditionalUpdate)
    .map((e) => ({ resourceType: e.resource!.resourceType, id: e.resource!.id! }));
}

/** Rewrites the conditional updates of a payload by what the partner holds (a copy; the payload stays). */
export function planWrites(bundle: Bundle, known: ReadonlyMap<string, KnownVersion>): Bundle {
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e): BundleEntry => {
      if (!isConditionalUpdate(e)) return e;
      const resource = e.resource!;
      const request = e.request!;
      const have = known.get(versionKey(resource.resourceType, resource.id!));
      if (have?.etag) return { ...e, request: { ...request, ifMatch: have.etag } };
      if (have) return e;
      const [type, query] = (request.url ?? '').split('?', 2);
      return {
        ...e,
        request: { method: 'POST', url: type ?? resource.resourceType, ifNoneExist: query ?? '' },
      };
    }),
  };
}

/** The partner's id and version of a written resource, from its transaction-response entry or headers. */
export function versionFromResponse(
  response: Pick<BundleEntryResponse, 'etag' | 'location'> | undefined,
): KnownVersion | undefined {
  if (!response) return undefined;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})(?:\/_history\/([A-Za-z0-9.-]{1,64}))?\/?$/.exec(
    response.location ?? '',
  );
  const etag = response.etag ?? (m?.[3] ? `W/"${m[3]}"` : undefined);
  if (!m?.[2]) return undefined;
  return { serverId: m[2], etag };
}

/**
 * The planned creates (If-None-Exist) that the partner answered 200: the resource existed already,
 * so our content was not written — the payload must go again as an update of what it holds.
 */
export function createsThatExisted(
  planned: Bundle,
  responses: readonly (Pick<BundleEntryResponse, 'status'> | undefined)[],
  original: Bundle,
): boolean {
  return (planned.entry ?? []).some((e, i) => {
    const wasUpdate = original.entry?.[i] ? isConditionalUpdate(original.entry[i]!) : false;
    return wasUpdate && e.request?.method === 'POST' && /^200\b/.test(responses[i]?.status ?? '');
  });
}

/** The partner's versions of every written resource, from a transaction-response (index-aligned). */
export function versionsFromResponses(
  planned: Bundle,
  responses: readonly (BundleEntryResponse | undefined)[],
): Map<string, KnownVersion> {
  const out = new Map<string, KnownVersion>();
  for (const [i, e] of (planned.entry ?? []).entries()) {
    const v = versionFromResponse(responses[i]);
    if (e.resource?.id && v) out.set(versionKey(e.resource.resourceType, e.resource.id), v);
  }
  return out;
}
