// What a partner may read: the resources navbridge delivered to it — or would deliver now, under the
// consent in force — and nothing else (another partner's, withheld, unroutable or superseded copies
// are answered 404, exactly as if they did not exist). The decision is authorize()'s.
import type { Resource } from 'fhir/r4.js';
import { badRequest, isNavbridgeError, notFound } from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import { normaliseInbound } from '../intake/index.js';
import type { SharingAgreement } from '../routing/index.js';
import { audit } from '../store/audit.js';
import {
  type CarriedResource,
  carriedResources,
  copyOrigins,
  partnerReferralsOfPerson,
} from '../store/inbound.js';
import { personKey } from '../store/persons.js';
import { currentSharing } from '../store/records.js';
import { authorize, decide } from './authorize.js';
import { versionIds } from './resource-versions.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type ReadableType = 'ServiceRequest' | 'Task';

const SR_REF = /^(?:[A-Za-z0-9.:/-]{0,200}\/)?ServiceRequest\/([A-Za-z0-9.-]{1,64})$/;

type Deps = Pick<ServiceDeps, 'db' | 'partners'>;

const TOKEN = /^([^|\s]{1,400})\|([^|\s]{1,64})$/;

export type PartnerCaller = Extract<Caller, { kind: 'partner' }>;

/**
 * The FHIR read API is for referring partners: the one check of each use case below (a refusal is
 * audited and answered 403), after which the caller is known to be a partner.
 */
export async function asPartner(deps: Deps, caller: Caller): Promise<PartnerCaller> {
  await authorize(deps, caller, { action: 'refer' });
  if (caller.kind !== 'partner') throw new Error('authorize(refer) admitted a caller that is not a partner');
  return caller;
}

/** Copies kept for a history: enough for years of a referral's changes, bounded per request. */
export const HISTORY_COPIES_MAX = 200;

/**
 * The copies the partner may read, newest first (consent as it is now, read once per referral): the
 * newest only unless `all`. None readable though some exist: audited as a refused read.
 */
export async function readableCopies(
  deps: Deps,
  caller: PartnerCaller,
  type: ReadableType,
  id: string,
  all = false,
): Promise<CarriedResource[]> {
  const copies = await carriedResources(deps.db, caller.partnerId, type, id, all ? HISTORY_COPIES_MAX : 20);
  const sharing = new Map<string, SharingAgreement | undefined>();
  const out: CarriedResource[] = [];
  for (const copy of copies) {
    const key = `${copy.site}|${copy.referralId}`;
    if (!sharing.has(key)) sharing.set(key, await currentSharing(deps.db, copy.site, copy.referralId));
    if (decide(caller, { action: 'read-partner-copy', copy, sharing: sharing.get(key) }).allowed) {
      out.push(copy);
      if (!all) break;
    }
  }
  // Copies exist but none may be read now: audited as a refused read, answered as not found.
  if (copies[0] && !out.length)
    await authorize(deps, caller, {
      action: 'read-partner-copy',
      copy: copies[0],
      sharing: sharing.get(`${copies[0].site}|${copies[0].referralId}`),
    });
  return out;
}

/** The newest copy the partner may read, if any. */
const readableCopy = async (deps: Deps, caller: PartnerCaller, type: ReadableType, id: string) =>
  (await readableCopies(deps, caller, type, id))[0];

/** The version ids of a resource's copies to this partner, by exchange seq (src/service/resource-versions.ts). */
export async function versionsOf(
  deps: Deps,
  caller: PartnerCaller,
  type: string,
  id: string,
): Promise<Map<string, string>> {
  return versionIds(type, await copyOrigins(deps.db, caller.partnerId, type, id));
}

/** The copy as a FHIR read answers it: meta.versionId (one id with Location and history), lastUpdated. */
export function versioned(copy: CarriedResource, versions: Map<string, string>): Resource {
  const versionId = versions.get(copy.seq) ?? copy.seq;
  const meta = { ...copy.resource.meta, versionId, lastUpdated: copy.storedAt.toISOString() };
  return { ...copy.resource, meta };
}

/** Every read is in the trail, found or not: a probe for another partner's id leaves its row. */
export async function auditRead(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
  copy: CarriedResource | undefined,
  interaction?: 'vread' | 'history',
): Promise<void> {
  const how = interaction ? { interaction } : {};
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'read',
    targetType: type,
    targetId: id,
    ...(copy
      ? { detail: { exchange: copy.exchangeId, site: copy.site, referralId: copy.referralId, ...how } }
      : { outcome: 'failure' as const, detail: { answer: 'not-found', ...how } }),
  });
}

/**
 * In a search, a copy the partner may not read is simply not in the result; any other failure (the
 * database gone, a master key missing) is the answer, not an empty bundle that reads as "no Task".
 */
function absentWhenRefused(err: unknown): undefined {
  if (isNavbridgeError(err) && (err.code === 'REC_NOT_FOUND' || err.code === 'REC_FORBIDDEN'))
    return undefined;
  throw err;
}

/** One resource by type and id. */
export async function readPartnerResource(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
): Promise<Resource> {
  const partner = await asPartner(deps, caller);
  const copy = await readableCopy(deps, partner, type, id);
  await auditRead(deps, caller, type, id, copy);
  if (!copy) throw notFound();
  return versioned(copy, await versionsOf(deps, partner, type, id));
}

/** `GET /Task?focus=ServiceRequest/<id>`: the referral's Task, when both are the partner's to read. */
export async function searchPartnerTasks(
  deps: Deps,
  caller: Caller,
  focus: unknown,
): Promise<{ tasks: Resource[]; focusId: string }> {
  const partner = await asPartner(deps, caller);
  const m = typeof focus === 'string' ? SR_REF.exec(focus) : null;
  if (!m)
    throw badRequest('focus: search Tasks by focus=ServiceRequest/<id>', {
      code: 'required',
      expression: 'focus',
    });
  const focusId = m[1]!;
  const sr = await readableCopy(deps, partner, 'ServiceRequest', focusId).catch(absentWhenRefused);
  const taskId = sr ? resourceId(sr.site, 'Task', sr.referralId) : undefined;
  const task = taskId
    ? await readableCopy(deps, partner, 'Task', taskId).catch(absentWhenRefused)
    : undefined;
  await auditRead(deps, caller, 'ServiceRequest', focusId, sr);
  if (taskId) await auditRead(deps, caller, 'Task', taskId, task);
  return {
    tasks: task && taskId ? [versioned(task, await versionsOf(deps, partner, 'Task', taskId))] : [],
    focusId,
  };
}

/**
 * `GET /ServiceRequest?patient:identifier=<system>|<value>` (BaRS: a partner's referrals for a
 * patient): the ServiceRequests of referrals this partner sent in for the person the identifier names
 * (matched by its keyed HMAC; verified identifiers only), each one it may read now. The search is
 * audited with no identifier value.
 */
export async function searchPartnerServiceRequests(
  deps: Deps & Pick<ServiceDeps, 'personKey'>,
  caller: Caller,
  param: unknown,
): Promise<Resource[]> {
  const partner = await asPartner(deps, caller);
  const m = typeof param === 'string' ? TOKEN.exec(param) : null;
  if (!m)
    throw badRequest('patient:identifier: search ServiceRequests by patient:identifier=<system>|<value>', {
      code: 'required',
      expression: 'patient:identifier',
    });
  const system = normaliseInbound({ system: m[1]! }).value.system;
  const key = personKey(deps.personKey, { system, value: m[2]! });
  const found: Resource[] = [];
  for (const r of await partnerReferralsOfPerson(deps.db, partner.partnerId, key)) {
    const id = resourceId(r.site, 'ServiceRequest', r.referralId);
    const copy = await readableCopy(deps, partner, 'ServiceRequest', id);
    if (copy) found.push(versioned(copy, await versionsOf(deps, partner, 'ServiceRequest', id)));
  }
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'search',
    targetType: 'ServiceRequest',
    targetId: null,
    detail: { by: 'patient:identifier', system, matches: found.length },
  });
  return found;
}
