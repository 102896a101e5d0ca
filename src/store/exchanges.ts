// Outbound exchanges: insertion with supersede and per-person ordering, claiming with a lease and a
// claim token, attempt outcomes, and the head-of-line rule that decides what may be queued.
// PostgreSQL is the authority; a queue job is only a hint naming (exchange id, queue token).
import { randomUUID } from 'node:crypto';
import type { Bundle, OperationOutcome } from 'fhir/r4.js';
import { ATTEMPT_OUTCOME_UNKNOWN_SQL } from './attempt-results.js';
import { messageIdsOf, resourceKeysOf } from './exchange-keys.js';
import { type Queryable, sql, type Tx, vaultOf } from './pg.js';
import { lockSequence, newToken, OPEN_STATUSES, promote, promoteHead, type QueueJob } from './sequences.js';

export { aliasesOf, messageIdsOf, resourceKeysOf } from './exchange-keys.js';
export { lockSequence, newToken, OPEN_STATUSES, promoteHead, type QueueJob } from './sequences.js';

/** Sealing contexts (store/sealing.ts) of the exchange columns that can hold patient data. */
export const EXCHANGE_PAYLOAD = 'exchanges.payload';
export const EXCHANGE_LAST_ERROR = 'exchanges.last_error';

export type ExchangeStatus =
  | (typeof OPEN_STATUSES)[number]
  | 'delivered'
  | 'superseded'
  | 'no-route'
  | 'withheld-no-consent'
  | 'discarded'
  | 'received';

export interface Exchange {
  id: string;
  seq: string;
  direction: 'inbound' | 'outbound';
  partnerId: string | null;
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  referralId: string | null;
  personId: string | null;
  stateKey: string | null;
  deliveryMode: string | null;
  payload: Bundle | null;
  /** When retention deleted the payload (null: never pruned). */
  payloadPrunedAt: Date | null;
  status: ExchangeStatus;
  statusReason: string | null;
  correlationId: string;
  requestId: string | null;
  queueToken: string | null;
  claimToken: string | null;
  leaseUntil: Date | null;
  attemptCount: number;
  nextAttemptAt: Date | null;
  lastError: OperationOutcome | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface NewOutboundExchange {
  partnerId: string | null;
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  referralId: string | null;
  personId: string | null;
  stateKey?: string | null;
  deliveryMode?: string | null;
  payload: Bundle | null;
  /** Set for exchanges that must never be sent: no-route, withheld-no-consent. */
  unsent?: { status: 'no-route' | 'withheld-no-consent'; reason: string };
  /** The delivery categories of what it carries, and the recipient's roles (for consent on reads). */
  categories?: readonly string[];
  roles?: readonly string[];
  correlationId?: string;
}

type Row = Record<string, unknown>;

/**
 * Every column of `exchanges` but the sealed payload (and `replay_of`, which toExchange does not read):
 * what an INSERT answers when the payload is the one in hand — sending the sealed copy back would cost
 * the transfer and a JSON parse for nothing.
 */
const COLUMNS_BUT_PAYLOAD = `id, seq, direction, partner_id, site, record_type, source_id, version, referral_id,
  person_id, state_key, delivery_mode, NULL::jsonb AS payload, payload_pruned_at, status, status_reason,
  correlation_id, request_id, queue_token, claim_token, lease_until, attempt_count, next_attempt_at,
  last_error, created_at, updated_at, delivered_at`;

/** An exchange row as callers see it: its payload and last error opened (plaintext rows read as stored). */
export async function toExchange(db: Queryable, r: Row): Promise<Exchange> {
  const vault = vaultOf(db);
  return {
    id: r.id as string,
    seq: String(r.seq),
    direction: r.direction as Exchange['direction'],
    partnerId: (r.partner_id as string | null) ?? null,
    site: r.site as string,
    recordType: r.record_type as string,
    sourceId: r.source_id as string,
    version: r.version as number,
    referralId: (r.referral_id as string | null) ?? null,
    personId: (r.person_id as string | null) ?? null,
    stateKey: (r.state_key as string | null) ?? null,
    deliveryMode: (r.delivery_mode as string | null) ?? null,
    payload: (await vault.open<Bundle | null>(r.payload, EXCHANGE_PAYLOAD)) ?? null,
    payloadPrunedAt: (r.payload_pruned_at as Date | null) ?? null,
    status: r.status as ExchangeStatus,
    statusReason: (r.status_reason as string | null) ?? null,
    correlationId: r.correlation_id as string,
    requestId: (r.request_id as string | null) ?? null,
    queueToken: (r.queue_token as string | null) ?? null,
    claimToken: (r.claim_token as string | null) ?? null,
    leaseUntil: (r.lease_until as Date | null) ?? null,
    attemptCount: r.attempt_count as number,
    nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
    lastError: (await vault.open<OperationOutcome | null>(r.last_error, EXCHANGE_LAST_ERROR)) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    deliveredAt: (r.delivered_at as Date | null) ?? null,
  };
}

/**
 * A failed exchange whose last attempt may still be applied by the partner (no answer came: timeout,
 * connection lost after it was made, or its worker died). It is retried, never superseded, while that
 * is unknown. A connection never made (`unreachable`: refused, no host, no route) sent nothing.
 */
const LAST_OUTCOME_UNKNOWN = `(status = 'failed' AND EXISTS (
  SELECT 1 FROM exchange_attempts a WHERE a.exchange_id = exchanges.id AND a.attempt_no = exchanges.attempt_count
     AND ${ATTEMPT_OUTCOME_UNKNOWN_SQL}))`;

/**
 * Older undelivered versions of the same state resource for this partner lose to the newer one; one
 * whose last attempt may still be applied by the partner is retried instead, and superseded by a
 * failure it answers (one statement: the two sets are disjoint, an unknown outcome is `failed`).
 */
async function supersedeOlder(client: Tx, x: NewOutboundExchange, newId: string): Promise<void> {
  if (!x.stateKey || !x.partnerId) return;
  await sql(client).query(
    `UPDATE exchanges SET
            status = CASE WHEN ${LAST_OUTCOME_UNKNOWN} THEN status ELSE 'superseded' END,
            status_reason = CASE WHEN ${LAST_OUTCOME_UNKNOWN} THEN status_reason ELSE 'superseded by ' || $4 END,
            queue_token = CASE WHEN ${LAST_OUTCOME_UNKNOWN} THEN queue_token ELSE NULL END,
            updated_at = CASE WHEN ${LAST_OUTCOME_UNKNOWN} THEN updated_at ELSE now() END,
            supersede_on_failure = CASE WHEN ${LAST_OUTCOME_UNKNOWN} THEN 'superseded by ' || $4
                                        ELSE supersede_on_failure END
      WHERE partner_id = $1 AND state_key = $2 AND version < $3
        AND status IN ('pending', 'failed', 'dead', 'blocked')`,
    [x.partnerId, x.stateKey, x.version, newId],
  );
}

/** Supersedes every undelivered exchange of a referral (withdrawn or entered in error). */
export async function supersedeReferral(
  client: Tx,
  site: string,
  referralId: string,
  reason: string,
  exceptIds: readonly string[] = [],
): Promise<QueueJob[]> {
  const { rows } = await sql(client).query(
    `UPDATE exchanges SET status = 'superseded', status_reason = $3, queue_token = NULL, updated_at = now()
      WHERE site = $1 AND referral_id = $2 AND status IN ('pending', 'failed', 'dead', 'blocked')
        AND NOT (id = ANY($4::uuid[])) AND NOT ${LAST_OUTCOME_UNKNOWN}
      RETURNING partner_id, person_id`,
    [site, referralId, reason, exceptIds],
  );
  // An attempt already on the wire (or one whose outcome is unknown) cannot be recalled: if the
  // partner answers it with a failure, it is superseded; while its outcome is unknown it is retried.
  await sql(client).query(
    `UPDATE exchanges SET supersede_on_failure = $3
      WHERE site = $1 AND referral_id = $2 AND (status = 'in-flight' OR ${LAST_OUTCOME_UNKNOWN})
        AND NOT (id = ANY($4::uuid[]))`,
    [site, referralId, reason, exceptIds],
  );
  const jobs: QueueJob[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.partner_id}|${r.person_id}`;
    if (!r.partner_id || !r.person_id || seen.has(key)) continue;
    seen.add(key);
    await lockSequence(client, r.partner_id, r.person_id);
    const job = await promoteHead(client, r.partner_id, r.person_id);
    if (job) jobs.push(job);
  }
  return jobs;
}

/** Stores an outbound exchange and returns what to queue after commit. Call inside a transaction. */
export async function insertOutbound(
  client: Tx,
  x: NewOutboundExchange,
): Promise<{ exchange: Exchange; jobs: QueueJob[] }> {
  const id = randomUUID();
  const correlationId = x.correlationId ?? randomUUID();
  const jobs: QueueJob[] = [];
  let status: ExchangeStatus = 'pending';
  let reason: string | null = null;
  if (x.unsent) {
    status = x.unsent.status;
    reason = x.unsent.reason;
  } else if (!x.partnerId || !x.personId) {
    throw new Error('an exchange to be sent needs a partner and a person');
  } else {
    await lockSequence(client, x.partnerId, x.personId);
  }
  // A newer version already accepted for this state resource: this one is superseded on arrival
  // (checked in the INSERT itself, under the sequence lock).
  const checkNewer = status === 'pending' && !!x.stateKey;
  // The common case in one statement: nothing else open in the person's sequence for this partner
  // (so nothing to supersede or unblock, and the new exchange is the head) — it is queued here, as
  // promote would queue it (checked under the sequence lock; the statement does not see its own row).
  const mayQueue = status === 'pending' && !!x.partnerId && !!x.personId;
  const token = newToken();
  const { rows } = await sql(client).query(
    `INSERT INTO exchanges (id, direction, partner_id, site, record_type, source_id, version, referral_id,
        person_id, state_key, delivery_mode, payload, status, status_reason, correlation_id, request_id,
        categories, roles, resource_keys, message_ids, queue_token)
     SELECT $1, 'outbound', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
            CASE WHEN newer THEN 'superseded' ELSE $12 END,
            CASE WHEN newer THEN 'a newer version was already accepted' ELSE $13 END,
            $14, $15, $16, $17, $18, $19,
            CASE WHEN $21::boolean AND NOT newer
                  AND NOT EXISTS (SELECT 1 FROM exchanges WHERE partner_id = $2 AND person_id = $8
                                     AND status = ANY($23::text[]))
                  AND ($9::text IS NULL OR NOT EXISTS (
                        SELECT 1 FROM exchanges WHERE partner_id = $2 AND state_key = $9 AND version < $6
                           AND status IN ('pending', 'failed', 'dead', 'blocked')))
                 THEN $22 END
       FROM (SELECT $20::boolean AND EXISTS (
               SELECT 1 FROM exchanges WHERE partner_id = $2 AND state_key = $9 AND version > $6
                  AND status NOT IN ('superseded', 'discarded')) AS newer) n
     RETURNING ${COLUMNS_BUT_PAYLOAD}`,
    [
      id,
      x.partnerId,
      x.site,
      x.recordType,
      x.sourceId,
      x.version,
      x.referralId,
      x.personId,
      x.stateKey ?? null,
      x.deliveryMode ?? null,
      await vaultOf(client).seal(x.payload, EXCHANGE_PAYLOAD),
      status,
      reason,
      correlationId,
      randomUUID(),
      [...(x.categories ?? [])],
      [...(x.roles ?? [])],
      resourceKeysOf(x.payload),
      messageIdsOf(x.payload),
      checkNewer,
      mayQueue,
      token,
      OPEN_STATUSES,
    ],
  );
  const row = rows[0] as Row;
  if (row.status === 'pending' && x.partnerId && x.personId && row.queue_token === token) {
    jobs.push({ partnerId: x.partnerId, exchangeId: id, token, notBefore: null });
  } else if (row.status === 'pending' && x.partnerId && x.personId) {
    await supersedeOlder(client, x, id);
    const { job, blockedBehind } = await promote(client, x.partnerId, x.personId);
    if (job) jobs.push(job);
    // What promote did to the new row, applied to the row in hand instead of reading it again (now()
    // is the transaction's time, so updated_at is unchanged): it is queued, or blocked behind a dead head.
    if (job?.exchangeId === id) row.queue_token = job.token;
    if (blockedBehind) {
      row.status = 'blocked';
      row.status_reason = `blocked behind dead exchange ${blockedBehind}`;
      row.queue_token = null;
    }
  }
  // The payload is the one in hand (the INSERT answers no sealed copy to open).
  const exchange = await toExchange(client, row);
  return { exchange: { ...exchange, payload: x.payload }, jobs };
}

/** The exchanges one version of a record produced, in order (what a duplicate submit answers). */
export async function recordExchanges(
  db: Queryable,
  r: { site: string; recordType: string; sourceId: string; version: number },
): Promise<Exchange[]> {
  const { rows } = await sql(db).query(
    `SELECT * FROM exchanges WHERE site = $1 AND record_type = $2 AND source_id = $3 AND version = $4
        AND direction = 'outbound' ORDER BY seq`,
    [r.site, r.recordType, r.sourceId, r.version],
  );
  return Promise.all(rows.map((r) => toExchange(db, r)));
}

export async function getExchange(db: Queryable, id: string): Promise<Exchange | undefined> {
  const { rows } = await sql(db).query('SELECT * FROM exchanges WHERE id = $1', [id]);
  return rows[0] ? toExchange(db, rows[0]) : undefined;
}
