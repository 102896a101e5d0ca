// vread and instance history of what a partner may read (FHIR http.html#vread, #history): every version
// of a referral is kept, and each copy navbridge sent the partner is a version of the resource it
// carries — answered with the same consent and tenancy decision as a read (another partner's, withheld
// or superseded copies do not exist for the caller).
import type { Resource } from 'fhir/r4.js';
import { notFound } from '../errors/index.js';
import type { CarriedResource } from '../store/inbound.js';
import {
  asPartner,
  auditRead,
  type PartnerCaller,
  type ReadableType,
  readableCopies,
  versioned,
  versionsOf,
} from './partner-reads.js';
import type { Caller, ServiceDeps } from './types.js';

type Deps = Pick<ServiceDeps, 'db' | 'partners'>;

/** A FHIR id: what a versionId may be (R4 `id`); anything else names no version. */
const VERSION_ID = /^[A-Za-z0-9.-]{1,64}$/;

/** One version per versionId, newest first: a replay of the same record version is the same version. */
function newestPerVersion(copies: CarriedResource[], versions: Map<string, string>) {
  const seen = new Set<string>();
  const out: { copy: CarriedResource; resource: Resource; vid: string }[] = [];
  for (const copy of copies) {
    const resource = versioned(copy, versions);
    const vid = resource.meta?.versionId ?? copy.seq;
    if (seen.has(vid)) continue;
    seen.add(vid);
    out.push({ copy, resource, vid });
  }
  return out;
}

async function readableVersions(deps: Deps, partner: PartnerCaller, type: ReadableType, id: string) {
  const copies = await readableCopies(deps, partner, type, id, true);
  return newestPerVersion(copies, await versionsOf(deps, partner, type, id));
}

/** `GET /{type}/{id}/_history/{vid}`: that version, or 404 (unknown, or not the caller's to read). */
export async function vreadPartnerResource(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
  vid: string,
): Promise<Resource> {
  const partner = await asPartner(deps, caller);
  const versions = VERSION_ID.test(vid) ? await readableVersions(deps, partner, type, id) : [];
  const found = versions.find((v) => v.vid === vid);
  await auditRead(deps, caller, type, id, found?.copy, 'vread');
  // The path's values are not echoed: an unknown version reads like an unknown resource.
  if (!found) throw notFound();
  return found.resource;
}

/** `GET /{type}/{id}/_history`: every version the caller may read, newest first; none → 404. */
export async function historyPartnerResource(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
): Promise<Resource[]> {
  const versions = await readableVersions(deps, await asPartner(deps, caller), type, id);
  await auditRead(deps, caller, type, id, versions[0]?.copy, 'history');
  if (!versions.length) throw notFound();
  return versions.map((v) => v.resource);
}
