// What a referring partner may read: the resources navbridge produced for the partner's own
// referrals (another partner's, or none, is answered 404 exactly as if it did not exist).
import type { Resource } from 'fhir/r4.js';
import { badRequest, notFound } from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import { latestResource } from '../store/inbound.js';
import { partnerOf } from './receive-referral.js';
import type { Caller, ServiceDeps } from './types.js';

export type ReadableType = 'ServiceRequest' | 'Task';

const SR_REF = /^(?:.*\/)?ServiceRequest\/([A-Za-z0-9.-]{1,64})$/;

/** One resource by type and id. */
export async function readPartnerResource(
  deps: Pick<ServiceDeps, 'db' | 'partners'>,
  caller: Caller,
  type: ReadableType,
  id: string,
): Promise<Resource> {
  const partner = partnerOf(deps, caller);
  const found = await latestResource(deps.db, partner.id, type, id);
  if (!found) throw notFound();
  return found.resource;
}

/** `GET /Task?focus=ServiceRequest/<id>`: the referral's Task, when the referral is the partner's. */
export async function searchPartnerTasks(
  deps: Pick<ServiceDeps, 'db' | 'partners'>,
  caller: Caller,
  focus: unknown,
): Promise<{ tasks: Resource[]; focusId: string }> {
  const partner = partnerOf(deps, caller);
  const m = typeof focus === 'string' ? SR_REF.exec(focus) : null;
  if (!m)
    throw badRequest('focus: search Tasks by focus=ServiceRequest/<id>', {
      code: 'required',
      expression: 'focus',
    });
  const focusId = m[1]!;
  const sr = await latestResource(deps.db, partner.id, 'ServiceRequest', focusId);
  const task = sr
    ? await latestResource(deps.db, partner.id, 'Task', resourceId(sr.site, 'Task', sr.referralId))
    : undefined;
  return { tasks: task ? [task.resource] : [], focusId };
}
