// Dead letters, for the admin (API and CLI alike): list, show (an audited view of patient data),
// replay (optionally re-mapped with today's mappings) and discard. Replay keeps per-person order:
// it only reopens the exchange; the head-of-line rule decides when it is queued.
import type { Bundle } from 'fhir/r4.js';
import { conflict, notFound, unprocessable } from '../errors/index.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { runMappingPipeline } from '../mapping/index.js';
import type { RecordOf, RecordType, Referral } from '../records/index.js';
import { routeBundle } from '../routing/index.js';
import { audit } from '../store/audit.js';
import { inTransaction } from '../store/db.js';
import {
  type DeadLetterSummary,
  discardDeadLetter as discardInStore,
  listDeadLetters as listInStore,
  type ReopenResult,
  replayDeadLetter as replayInStore,
  type DeadLetterFilter as StoreFilter,
} from '../store/dead-letters.js';
import { type Exchange, getExchange, type QueueJob } from '../store/exchanges.js';
import { personKey } from '../store/persons.js';
import { getRecord } from '../store/records.js';
import { type AttemptView, exchangeWithAttempts } from '../store/referral-queries.js';
import { referralOwner } from '../store/referrals.js';
import { authorize } from './authorize.js';
import { messageExtras } from './bars-context.js';
import { contextFromStore } from './context.js';
import { enabledSite, payloadFor } from './submit.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type { DeadLetterSummary } from '../store/dead-letters.js';

/**
 * What an admin may search dead letters by: the store's filter, with an NHS number in place of the
 * person's blind index (payloads are sealed: the number is found through its keyed HMAC, never read).
 */
export type DeadLetterFilter = Omit<StoreFilter, 'personKey'> & { nhsNumber?: string };

function storeFilter(deps: Pick<ServiceDeps, 'personKey'>, f: DeadLetterFilter): StoreFilter {
  const { nhsNumber, ...rest } = f;
  if (nhsNumber === undefined) return rest;
  if (!deps.personKey) throw unprocessable('searching by NHS number needs the person-matching key');
  return {
    ...rest,
    personKey: personKey(deps.personKey, { system: IDENTIFIER_SYSTEMS['nhs-number'], value: nhsNumber }),
  };
}

/** An exchange as the admin sees it: everything but the queue and claim tokens, with its attempts. */
export type ExchangeDetail = Omit<Exchange, 'queueToken' | 'claimToken'> & { attempts: AttemptView[] };

export async function listDeadLetters(
  deps: Pick<ServiceDeps, 'db' | 'personKey'>,
  caller: Caller,
  filter: DeadLetterFilter,
): Promise<DeadLetterSummary[]> {
  await authorize(deps, caller, { action: 'administer' });
  const found = await listInStore(deps.db, storeFilter(deps, filter));
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'list-dead-letters',
    targetType: 'exchange',
    targetId: null,
    detail: { count: found.length },
  });
  return found;
}

/** Reads an exchange for a view of its patient data, with the audit row of the view (found or not). */
export function getExchangeAudited(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  id: string,
  action: 'view-payload' | 'playground-open',
): Promise<Exchange | undefined> {
  return inTransaction(deps.db, async (tx) => {
    const found = await getExchange(tx, id);
    await audit(tx, {
      ...whoOf(caller),
      action,
      targetType: 'exchange',
      targetId: id,
      ...(found ? {} : { outcome: 'failure' as const, detail: { answer: 'not-found' } }),
    });
    return found;
  });
}

/** One exchange with its payload: the view is audited (patient data). */
export async function showExchange(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  id: string,
): Promise<ExchangeDetail> {
  await authorize(deps, caller, { action: 'administer' });
  const x = await getExchangeAudited(deps, caller, id, 'view-payload');
  if (!x) throw notFound('exchange');
  const { queueToken: _q, claimToken: _c, ...visible } = x;
  const attempts = (await exchangeWithAttempts(deps.db, id))?.attempts ?? [];
  return { ...visible, attempts };
}

/** A replay or discard that found nothing to reopen is in the trail too, as a failure. */
async function auditUnopened(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  action: 'replay' | 'discard',
  id: string,
  r: ReopenResult,
): Promise<void> {
  if (r.kind === 'done') return;
  await audit(deps.db, {
    ...whoOf(caller),
    action,
    targetType: 'exchange',
    targetId: id,
    outcome: 'failure',
    detail: r.kind === 'not-dead' ? { answer: 'not-dead', status: r.status } : { answer: 'not-found' },
  }).catch(() => {});
}

function reopened(id: string, r: ReopenResult): QueueJob[] {
  if (r.kind === 'not-found') throw notFound('exchange');
  if (r.kind === 'not-dead') throw conflict(`exchange ${id} is ${r.status}, not dead`, { expression: 'id' });
  return r.jobs;
}

/**
 * Re-runs the mapping of a dead exchange's record (that version) with the current mapping files and
 * the referral's current state, for a replay after a mapping fix. Only the payload changes; the
 * exchange keeps its place in the person's sequence and its correlation id.
 */
export async function remapExchange(
  deps: ServiceDeps,
  x: Exchange,
): Promise<{ payload: Bundle; mappingVersion: string }> {
  const fail = (diagnostics: string) => unprocessable(diagnostics);
  const partner = deps.partners.find((p) => p.id === x.partnerId);
  if (!partner) throw fail('the exchange has no configured partner');
  const site = enabledSite(deps, x.site);
  const recordType = x.recordType as RecordType;
  const stored = await getRecord(deps.db, x.site, recordType, x.sourceId, x.version);
  if (!stored) throw fail('the record of this exchange is not stored');
  const record = stored.payload as RecordOf[RecordType];
  const nowIso = deps.now().toISOString();
  const { context, referralRecord } = await contextFromStore(deps.db, recordType, record, site, nowIso);
  const mapped = deps.mappings.mapping(recordType, site.id);
  const { bundle } = await runMappingPipeline(
    { mapping: (t, s) => deps.mappings.mapping(t, s).compiled, validator: deps.validator },
    { recordType, record, site, context },
  );
  const owner = await referralOwner(deps.db, x.site, stored.referralId);
  const route = routeBundle({
    recordType,
    record,
    bundle,
    referral: referralRecord,
    sourcePartnerId: owner?.sourcePartnerId ?? undefined,
    partners: deps.partners,
  }).find((r) => r.partnerId === partner.id && r.decision === 'send');
  if (!route) throw fail('after remapping, this partner no longer receives this record');
  return {
    payload: payloadFor(
      partner,
      route.resources,
      { recordType, record, site },
      nowIso,
      partner.mode === 'message'
        ? await messageExtras(deps, {
            recordType,
            site,
            context,
            referralRecord: referralRecord as Referral,
            bundle,
          })
        : {},
    ),
    mappingVersion: mapped.version,
  };
}

export type ReplayTarget = { id: string } | { filter: DeadLetterFilter };

/** Replays one dead letter, or every one a filter matches (oldest first, so each person's sequence reopens in order). */
export async function replayDeadLetters(
  deps: ServiceDeps,
  caller: Caller,
  target: ReplayTarget,
  opts: { remap?: boolean } = {},
): Promise<{ replayed: string[] }> {
  await authorize(deps, caller, { action: 'administer' });
  const ids =
    'id' in target
      ? [target.id]
      : (await listInStore(deps.db, storeFilter(deps, target.filter))).map((d) => d.id);
  const replayed: string[] = [];
  for (const id of ids) {
    let remapped: { payload: Bundle; mappingVersion: string } | undefined;
    if (opts.remap) {
      const x = await getExchange(deps.db, id);
      if (!x) throw notFound('exchange');
      remapped = await remapExchange(deps, x);
    }
    const r = await inTransaction(deps.db, (tx) => replayInStore(tx, id, whoOf(caller), remapped ?? {}));
    await auditUnopened(deps, caller, 'replay', id, r);
    const jobs = reopened(id, r);
    await deps.enqueue(jobs);
    replayed.push(id);
  }
  return { replayed };
}

export async function discardDeadLetter(
  deps: ServiceDeps,
  caller: Caller,
  id: string,
  reason: string,
): Promise<{ discarded: string[] }> {
  await authorize(deps, caller, { action: 'administer' });
  const r = await inTransaction(deps.db, (tx) => discardInStore(tx, id, whoOf(caller), reason));
  await auditUnopened(deps, caller, 'discard', id, r);
  const jobs = reopened(id, r);
  await deps.enqueue(jobs);
  return { discarded: [id] };
}
