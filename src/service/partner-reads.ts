// What a partner may read: the resources navbridge delivered to it — or would deliver now, under the
// consent in force — and nothing else (another partner's, withheld, unroutable or superseded copies
// are answered 404, exactly as if they did not exist). The decision is authorize()'s.
import type { Resource } from 'fhir/r4.js';
import { badRequest, notFound } from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import type { SharingAgreement } from '../routing/index.js';
import { audit } from '../store/audit.js';
import { type CarriedResource, carriedResources } from '../store/inbound.js';
import { currentSharing } from '../store/records.js';
import { authorize, decide } from './authorize.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type ReadableType = 'ServiceRequest' | 'Task';

const SR_REF = /^(?:[A-Za-z0-9.:/-]{0,200}\/)?ServiceRequest\/([A-Za-z0-9.-]{1,64})$/;

type Deps = Pick<ServiceDeps, 'db' | 'partners'>;

/** The newest copy the partner may read, if any (consent as it is now, read once per referral). */
async function readableCopy(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
): Promise<CarriedResource | undefined> {
  await authorize(deps, caller, { action: 'refer' });
  if (caller.kind !== 'partner') return undefined;
  const copies = await carriedResources(deps.db, caller.partnerId, type, id);
  const sharing = new Map<string, SharingAgreement | undefined>();
  for (const copy of copies) {
    const key = `${copy.site}|${copy.referralId}`;
    if (!sharing.has(key)) sharing.set(key, await currentSharing(deps.db, copy.site, copy.referralId));
    if (decide(caller, { action: 'read-partner-copy', copy, sharing: sharing.get(key) }).allowed) return copy;
  }
  // Copies exist but none may be read now: audited as a refused read, answered as not found.
  if (copies[0])
    await authorize(deps, caller, {
      action: 'read-partner-copy',
      copy: copies[0],
      sharing: sharing.get(`${copies[0].site}|${copies[0].referralId}`),
    });
  return undefined;
}

/** The copy as a FHIR read answers it: meta.versionId and lastUpdated from the copy's place in the store. */
function versioned(copy: CarriedResource): Resource {
  const meta = { ...copy.resource.meta, versionId: copy.seq, lastUpdated: copy.storedAt.toISOString() };
  return { ...copy.resource, meta };
}

async function auditRead(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
  copy: CarriedResource | undefined,
): Promise<void> {
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'read',
    targetType: type,
    targetId: id,
    ...(copy
      ? { detail: { exchange: copy.exchangeId, site: copy.site, referralId: copy.referralId } }
      : { outcome: 'failure' as const, detail: { answer: 'not-found' } }),
  });
}

/** One resource by type and id. */
export async function readPartnerResource(
  deps: Deps,
  caller: Caller,
  type: ReadableType,
  id: string,
): Promise<Resource> {
  const copy = await readableCopy(deps, caller, type, id);
  // Every read is in the trail, found or not: a probe for another partner's id leaves its row.
  await auditRead(deps, caller, type, id, copy);
  if (!copy) throw notFound();
  return versioned(copy);
}

/** `GET /Task?focus=ServiceRequest/<id>`: the referral's Task, when both are the partner's to read. */
export async function searchPartnerTasks(
  deps: Deps,
  caller: Caller,
  focus: unknown,
): Promise<{ tasks: Resource[]; focusId: string }> {
  await authorize(deps, caller, { action: 'refer' });
  const m = typeof focus === 'string' ? SR_REF.exec(focus) : null;
  if (!m)
    throw badRequest('focus: search Tasks by focus=ServiceRequest/<id>', {
      code: 'required',
      expression: 'focus',
    });
  const focusId = m[1]!;
  const sr = await readableCopy(deps, caller, 'ServiceRequest', focusId).catch(() => undefined);
  const taskId = sr ? resourceId(sr.site, 'Task', sr.referralId) : undefined;
  const task = taskId ? await readableCopy(deps, caller, 'Task', taskId).catch(() => undefined) : undefined;
  await auditRead(deps, caller, 'ServiceRequest', focusId, sr);
  if (taskId) await auditRead(deps, caller, 'Task', taskId, task);
  return { tasks: task ? [versioned(task)] : [], focusId };
}
