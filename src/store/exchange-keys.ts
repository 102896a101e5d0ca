// The plain keys an outbound exchange is found by without opening its sealed payload (pure): the
// resources it carries, the aliases of those sent under a partner's id, and the ids a partner's BaRS
// response may name the message by.
import type { Bundle } from 'fhir/r4.js';

/**
 * "Type/id" of every resource a Bundle carries: kept in plain beside the sealed payload so that a
 * partner's read finds the exchanges holding a resource without opening every payload.
 */
export function resourceKeysOf(payload: Bundle | null | undefined): string[] {
  const keys = new Set<string>();
  for (const e of payload?.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType && typeof r.id === 'string') keys.add(`${r.resourceType}/${r.id}`);
    // A resource sent under another id (BaRS: the requester's ServiceRequest) stays readable by ours.
    for (const alias of aliasesOf(e)) keys.add(alias);
  }
  return [...keys];
}

/** `Type/id` navbridge knows an entry's resource by when it was sent under the partner's id. */
export function aliasesOf(entry: NonNullable<Bundle['entry']>[number]): string[] {
  return (entry.link ?? [])
    .filter((l) => l.relation === 'alternate' && /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9.-]{1,64}$/.test(l.url))
    .map((l) => l.url);
}

/** The ids a partner's BaRS response may name our message by: Bundle id, first entry's id or fullUrl uuid. */
export function messageIdsOf(payload: Bundle | null | undefined): string[] {
  const first = payload?.entry?.[0];
  const url = first?.fullUrl?.startsWith('urn:uuid:') ? first.fullUrl.slice('urn:uuid:'.length) : undefined;
  return [
    ...new Set([payload?.id, first?.resource?.id, url].filter((v): v is string => typeof v === 'string')),
  ];
}
