// Store first, the other half: records and inbound requests kept because their mapping failed are
// listed for the admin and re-run with today's mappings (`navbridge records remap`), so that fixing a
// site's mapping repairs yesterday's failures. A remap that fails again keeps the failure, with the
// new error; one that succeeds resolves it in the same transaction that stores the record.
import { conflict, isNavbridgeError, notFound } from '../errors/index.js';
import type { InboundKind } from '../intake/index.js';
import type { RecordType } from '../records/index.js';
import { audit } from '../store/audit.js';
import {
  type FailureFilter,
  failAgain,
  getFailure,
  listFailures as listInStore,
  type RecordFailure,
} from '../store/failures.js';
import type { ReferralRequester } from '../store/referrals.js';
import { authorize } from './authorize.js';
import { receiveReferral } from './receive-referral.js';
import { type SubmitOptions, submitRecord } from './submit.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type { FailureFilter, RecordFailure } from '../store/failures.js';

/** A failure as the admin lists it: what failed and why, not the input itself (patient data). */
export type FailureSummary = Omit<RecordFailure, 'input'>;

const summary = ({ input: _i, ...rest }: RecordFailure): FailureSummary => rest;

export async function listFailedRecords(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  filter: FailureFilter,
): Promise<FailureSummary[]> {
  await authorize(deps, caller, { action: 'administer' });
  const found = (await listInStore(deps.db, filter)).map(summary);
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'list-failed-records',
    targetType: 'record-failure',
    targetId: null,
    detail: { count: found.length },
  });
  return found;
}

export interface RemapOutcome {
  id: string;
  state: 'remapped' | 'mapping-failed';
  /** The new error when it failed again. */
  error?: unknown;
}

/** The remap as the admin asked for it, with its outcome (the re-run's own rows follow it). */
async function remapOne(deps: ServiceDeps, caller: Caller, f: RecordFailure): Promise<RemapOutcome> {
  const out = await rerun(deps, f);
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'remap',
    targetType: 'record-failure',
    targetId: f.id,
    outcome: out.state === 'remapped' ? 'success' : 'failure',
  });
  return out;
}

async function rerun(deps: ServiceDeps, f: RecordFailure): Promise<RemapOutcome> {
  try {
    if (f.kind === 'record') {
      const o = f.options as SubmitOptions & { requester?: ReferralRequester };
      await submitRecord(deps, undefined, f.recordType as RecordType, f.input, o, f.id);
    } else {
      const o = f.options as { kind: InboundKind; correlationId?: string };
      await receiveReferral(
        deps,
        { kind: 'partner', partnerId: f.partnerId ?? '' },
        { kind: o.kind, body: f.input, ...(o.correlationId ? { correlationId: o.correlationId } : {}) },
        { failureId: f.id },
      );
    }
    return { id: f.id, state: 'remapped' };
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    await failAgain(deps.db, f.id, err.outcome);
    return { id: f.id, state: 'mapping-failed', error: err.outcome };
  }
}

/** Re-runs one kept failure with the current mappings. */
export async function remapFailure(deps: ServiceDeps, caller: Caller, id: string): Promise<RemapOutcome> {
  await authorize(deps, caller, { action: 'administer' });
  const f = await getFailure(deps.db, id);
  if (!f) throw notFound('failed record');
  if (f.state !== 'mapping-failed')
    throw conflict(`failed record ${id} is ${f.state} already`, { expression: 'id' });
  return remapOne(deps, caller, f);
}

/** Re-runs every kept failure (of a site, when given), oldest first. */
export async function remapFailures(
  deps: ServiceDeps,
  caller: Caller,
  filter: { site?: string; limit?: number },
): Promise<RemapOutcome[]> {
  await authorize(deps, caller, { action: 'administer' });
  const out: RemapOutcome[] = [];
  for (const f of await listInStore(deps.db, { ...filter, state: 'mapping-failed' }))
    out.push(await remapOne(deps, caller, f));
  return out;
}
