// Submit a navigator record: checked, then stored, mapped, validated, routed and queued in one
// PostgreSQL transaction; queue jobs are added after commit (the sweeper repairs a crash in between).
// The door behind `navbridge submit`, POST /api/v1/records and every inbound referral. A record whose
// mapping or validation fails is kept (store first) and the caller gets the same error.
import type { Bundle, BundleEntry, Task } from 'fhir/r4.js';
import { conflict, isNavbridgeError } from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import { runMappingPipeline } from '../mapping/index.js';
import type { RecordOf, RecordType, Referral } from '../records/index.js';
import { routeBundle } from '../routing/index.js';
import { audit, auditAtCommit } from '../store/audit.js';
import { inTransaction, type Tx } from '../store/db.js';
import { insertOutbound, type QueueJob, recordExchanges, supersedeReferral } from '../store/exchanges.js';
import { keepFailure, resolveFailure } from '../store/failures.js';
import { resolvePerson } from '../store/persons.js';
import { getReferralAndRecord, recordLockKey, saveRecord, VersionConflictError } from '../store/records.js';
import { getReferralRow, type ReferralRow, type ReferralUpdate } from '../store/referrals.js';
import { messageExtras } from './bars-context.js';
import { contextFromStore, referralIdOf, unknownReferral } from './context.js';
import {
  assertMaySubmit,
  type CheckedRecord,
  checkSubmission,
  payloadFor,
  personIdentifiers,
  type SubmitOptions,
  type SubmitResult,
  type SubmittedExchange,
} from './submission.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export {
  assertMaySubmit,
  type CheckedRecord,
  checkSubmission,
  enabledSite,
  payloadFor,
  type SubmitOptions,
  type SubmitResult,
  type SubmittedExchange,
} from './submission.js';

/**
 * Stores, maps, routes and queues a checked record inside the caller's transaction: the person, the
 * record version, the referral row, one exchange per route, and the supersede of a withdrawn
 * referral. Returns the jobs to queue once the transaction has committed.
 */
export async function storeRecord(
  deps: ServiceDeps,
  tx: Tx,
  c: CheckedRecord,
  opts: SubmitOptions = {},
  /**
   * The referral's row and latest referral record as the caller read them in this transaction, under
   * the record's lock (getReferralAndRecord): not read again.
   */
  read?: { row: ReferralRow | undefined; referralRecord?: unknown },
): Promise<{ jobs: QueueJob[]; result: SubmitResult; referralRowWritten: boolean }> {
  const { recordType, record, site } = c;
  const nowIso = deps.now().toISOString();
  const referralId = referralIdOf(recordType, record);
  const base = { recordType, site: site.id, id: record.id, version: record.version, warnings: c.warnings };

  // Person first: the referral record carries the identifiers; others follow their referral (its row
  // and latest referral record read together).
  let known: { row: ReferralRow | undefined; referralRecord?: unknown };
  if (read) known = read;
  else if (recordType === 'referral') known = { row: await getReferralRow(tx, site.id, referralId) };
  else {
    const k = await getReferralAndRecord(tx, site.id, referralId);
    known = { row: k.row, referralRecord: k.record?.payload };
  }
  const row = known.row;
  let personId: string;
  if (recordType === 'referral') {
    personId = await resolvePerson(tx, deps.personKey, personIdentifiers(record as Referral));
  } else {
    if (!row?.personId) throw unknownReferral();
    personId = row.personId;
  }
  const sourcePartnerId = opts.sourcePartnerId ?? row?.sourcePartnerId ?? undefined;

  const { context, referralRecord } = await contextFromStore(
    tx,
    recordType,
    record,
    site,
    nowIso,
    recordType === 'referral' ? opts.requester : undefined,
    known,
  );
  const mapped = deps.mappings.mapping(recordType, site.id);
  const { bundle, identities, triage } = await runMappingPipeline(
    { mapping: (t, s) => deps.mappings.mapping(t, s).compiled, validator: deps.validator },
    { recordType, record, site, context },
  );

  // What the record version and every exchange it makes are known by.
  const owned = {
    site: site.id,
    recordType,
    sourceId: record.id,
    version: record.version,
    referralId,
    personId,
  };
  // The referral's state follows its Task as mapped (one source of truth: the Task status table),
  // written with the record version when that is new and the latest (one statement).
  const taskId = resourceId(site.id, 'Task', referralId);
  const task = bundle.entry
    ?.map((e) => e.resource)
    .find((r): r is Task => r?.resourceType === 'Task' && r.id === taskId);
  const referralUpdate: ReferralUpdate | undefined = task && {
    site: site.id,
    referralId,
    personId,
    sourcePartnerId: opts.sourcePartnerId ?? null,
    ...(triage ? { triage } : {}),
    taskStatus: task.status,
    businessStatus: task.businessStatus?.coding?.[0]?.code ?? task.status,
    hasPlan:
      recordType === 'support-plan' ||
      (recordType === 'event' && (record as RecordOf['event']).type === 'plan-agreed'),
    receivedAt: deps.now(),
    ...(recordType === 'referral' && opts.requester ? { requester: opts.requester } : {}),
    ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
  };
  let saved: Awaited<ReturnType<typeof saveRecord>>;
  try {
    saved = await saveRecord(
      tx,
      { ...owned, payload: record, mappingVersion: mapped.version, resources: identities },
      referralUpdate,
    );
  } catch (err) {
    if (err instanceof VersionConflictError)
      throw conflict(
        'version: this version was already received with different content; send a higher version',
        {
          expression: 'version',
        },
      );
    throw err;
  }
  if (saved !== 'inserted') {
    const exchanges = (
      await recordExchanges(tx, { site: site.id, recordType, sourceId: record.id, version: record.version })
    ).map((x) => ({ id: x.id, partnerId: x.partnerId, status: x.status, reason: x.statusReason }));
    return { jobs: [], result: { ...base, outcome: saved, exchanges }, referralRowWritten: false };
  }

  const jobs: QueueJob[] = [];
  const exchanges: SubmittedExchange[] = [];
  const routes = routeBundle({
    recordType,
    record,
    bundle,
    referral: referralRecord,
    sourcePartnerId,
    partners: deps.partners,
  });
  const toMessagePartner = routes.some(
    (r) => r.decision === 'send' && deps.partners.find((p) => p.id === r.partnerId)?.mode === 'message',
  );
  const extras = toMessagePartner
    ? await messageExtras(deps, { recordType, site, context, referralRecord, bundle })
    : {};
  for (const route of routes) {
    const partner = route.partnerId ? deps.partners.find((p) => p.id === route.partnerId) : undefined;
    const payload: Bundle =
      partner && route.decision === 'send'
        ? payloadFor(partner, route.resources, c, nowIso, extras)
        : {
            resourceType: 'Bundle',
            type: 'collection',
            entry: route.resources.map((r): BundleEntry => ({ fullUrl: `urn:uuid:${r.id}`, resource: r })),
          };
    const { exchange, jobs: j } = await insertOutbound(tx, {
      ...owned,
      partnerId: route.partnerId,
      stateKey: route.stateKey,
      categories: route.categories,
      roles: route.roles,
      deliveryMode: partner?.mode ?? null,
      payload,
      ...(route.decision === 'send' ? {} : { unsent: { status: route.decision, reason: route.reason } }),
    });
    jobs.push(...j);
    exchanges.push({
      id: exchange.id,
      partnerId: exchange.partnerId,
      status: exchange.status,
      reason: exchange.statusReason,
    });
  }

  // A withdrawn or retracted referral: nothing more about it leaves, except this acknowledgement.
  const ev = recordType === 'event' ? (record as RecordOf['event']) : undefined;
  if (ev && (ev.type === 'withdrawn' || (ev.type === 'entered-in-error' && ev.recordType === 'referral'))) {
    jobs.push(
      ...(await supersedeReferral(
        tx,
        site.id,
        referralId,
        `referral ${ev.type}`,
        exchanges.map((x) => x.id),
      )),
    );
  }
  return {
    jobs,
    result: { ...base, outcome: 'accepted', ...(triage ? { triage } : {}), exchanges },
    referralRowWritten: task !== undefined,
  };
}

/** Keeps a record whose mapping or validation failed (store first), for `records remap`. */
export async function keepFailedRecord(
  deps: ServiceDeps,
  c: CheckedRecord,
  opts: SubmitOptions,
  err: unknown,
): Promise<void> {
  if (!isNavbridgeError(err) || err.code !== 'MAPPING_ERROR') return;
  await keepFailure(deps.db, {
    kind: 'record',
    site: c.site.id,
    recordType: c.recordType,
    sourceId: c.record.id,
    version: c.record.version,
    ...(opts.sourcePartnerId ? { partnerId: opts.sourcePartnerId } : {}),
    input: c.record,
    options: { ...opts, site: c.site.id },
    error: err.outcome,
    hashKey: deps.personKey,
  });
}

/**
 * The use case: check, then store/map/route/queue in one transaction, then enqueue. `failureId`
 * resolves a kept failure in the same transaction when this submit is its remap.
 */
export async function submitRecord(
  deps: ServiceDeps,
  caller: Caller | undefined,
  recordType: RecordType,
  input: unknown,
  opts: SubmitOptions = {},
  failureId?: string,
): Promise<SubmitResult> {
  const who = whoOf(caller);
  // A write refused before it was stored (not allowed, structurally invalid) is in the trail too.
  const refused = async (err: unknown): Promise<never> => {
    await audit(deps.db, {
      ...who,
      action: 'write-record',
      targetType: recordType,
      targetId: null,
      outcome: 'failure',
      detail: { code: isNavbridgeError(err) ? err.code : 'REC_SERVER_ERROR' },
    }).catch(() => {});
    throw err;
  };
  // (A refusal by authorize() is audited there, as denied.)
  const own = await assertMaySubmit(deps, caller, input);
  let checked: ReturnType<typeof checkSubmission>;
  try {
    checked = checkSubmission(deps, recordType, input, { ...opts, ...own });
  } catch (err) {
    return refused(err);
  }
  let out: Awaited<ReturnType<typeof storeRecord>>;
  try {
    // The record's lock goes with BEGIN and the first statement (one round trip), so it comes first,
    // before the person's and the sequences' locks, in the same order as an inbound referral takes
    // them (receive-referral.ts).
    const lockKey = recordLockKey(checked.site.id, checked.recordType, checked.record.id);
    out = await inTransaction(
      deps.db,
      async (tx) => {
        const r = await storeRecord(deps, tx, checked, opts);
        if (failureId) await resolveFailure(tx, failureId, resolutionOf(r.result));
        // Sent with the COMMIT: one round trip fewer per record.
        auditAtCommit(tx, {
          ...who,
          action: failureId ? 'remap-record' : 'write-record',
          targetType: recordType,
          targetId: `${r.result.site}/${r.result.id}`,
          detail: resolutionOf(r.result),
        });
        return r;
      },
      { lockKey },
    );
  } catch (err) {
    if (!failureId) await keepFailedRecord(deps, checked, opts, err);
    await audit(deps.db, {
      ...who,
      action: failureId ? 'remap-record' : 'write-record',
      targetType: recordType,
      targetId: `${checked.site.id}/${checked.record.id}`,
      outcome: 'failure',
      detail: { code: isNavbridgeError(err) ? err.code : 'REC_SERVER_ERROR' },
    }).catch(() => {});
    throw err;
  }
  await deps.enqueue(out.jobs);
  return out.result;
}

export const resolutionOf = (r: SubmitResult): Record<string, unknown> => ({
  outcome: r.outcome,
  recordType: r.recordType,
  site: r.site,
  id: r.id,
  version: r.version,
  exchanges: r.exchanges.map((x) => x.id),
});
