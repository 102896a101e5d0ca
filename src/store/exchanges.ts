// Outbound exchanges: insertion with supersede and per-person ordering, claiming with a lease and a
// claim token, attempt outcomes, and the head-of-line rule that decides what may be queued.
// PostgreSQL is the authority; a queue job is only a hint naming (exchange id, queue token).
import { randomUUID } from 'node:crypto';
import type { Bundle, OperationOutcome } from 'fhir/r4.js';
import { type Queryable, sql, type Tx, vaultOf } from './pg.js';

/** Sealing contexts (store/sealing.ts) of the exchange columns that can hold patient data. */
export const EXCHANGE_PAYLOAD = 'exchanges.payload';
export const EXCHANGE_LAST_ERROR = 'exchanges.last_error';

export const OPEN_STATUSES = ['pending', 'in-flight', 'failed', 'dead', 'blocked'] as const;
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

/** What must be put on a partner's queue once the transaction has committed. */
export interface QueueJob {
  partnerId: string;
  exchangeId: string;
  token: string;
  /** Not before this time (retries and Retry-After). */
  notBefore: Date | null;
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

/** Queue tokens appear in BullMQ job ids: no ':' and never all digits. */
export const newToken = (): string => `t${randomUUID().replaceAll('-', '')}`;

/** Serialises all changes to one (partner, person) sequence inside the current transaction. */
export async function lockSequence(client: Tx, partnerId: string, personId: string): Promise<void> {
  await sql(client).query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `seq|${partnerId}|${personId}`,
  ]);
}

/**
 * Looks at the head (oldest open exchange) of a (partner, person) sequence and returns the job to
 * queue, if any. A dead head blocks everything behind it; a blocked head whose dead predecessor was
 * replayed or discarded becomes pending again. Must run under lockSequence.
 */
export async function promoteHead(client: Tx, partnerId: string, personId: string): Promise<QueueJob | null> {
  const { rows } = await sql(client).query(
    `SELECT id, seq, status, queue_token, next_attempt_at FROM exchanges
      WHERE partner_id = $1 AND person_id = $2 AND status = ANY($3) ORDER BY seq LIMIT 1`,
    [partnerId, personId, OPEN_STATUSES],
  );
  const head = rows[0];
  if (!head) return null;
  if (head.status === 'dead') {
    await sql(client).query(
      `UPDATE exchanges SET status = 'blocked', queue_token = NULL, updated_at = now(),
              status_reason = 'blocked behind dead exchange ' || $3
        WHERE partner_id = $1 AND person_id = $2 AND status = 'pending' AND seq > $4`,
      [partnerId, personId, head.id, head.seq],
    );
    return null;
  }
  // The dead exchange that blocked this sequence was replayed or discarded: everything up to the next
  // dead one (if any) is pending again, though only the head is queued.
  await sql(client).query(
    `UPDATE exchanges SET status = 'pending', status_reason = NULL, updated_at = now()
      WHERE partner_id = $1 AND person_id = $2 AND status = 'blocked'
        AND seq < COALESCE((SELECT min(seq) FROM exchanges
                             WHERE partner_id = $1 AND person_id = $2 AND status = 'dead'), 9223372036854775807)`,
    [partnerId, personId],
  );
  if (head.status === 'in-flight') return null;
  if ((head.status === 'pending' || head.status === 'failed') && head.queue_token) return null;
  const token = newToken();
  await sql(client).query(
    `UPDATE exchanges SET status = CASE WHEN status = 'blocked' THEN 'pending' ELSE status END,
            status_reason = CASE WHEN status = 'blocked' THEN NULL ELSE status_reason END,
            queue_token = $2, updated_at = now() WHERE id = $1`,
    [head.id, token],
  );
  return { partnerId, exchangeId: head.id, token, notBefore: head.next_attempt_at ?? null };
}

/**
 * A failed exchange whose last attempt may still be applied by the partner (no answer came: timeout,
 * connection lost after it was made, or its worker died). It is retried, never superseded, while that
 * is unknown. A connection never made (`unreachable`: refused, no host, no route) sent nothing.
 */
const LAST_OUTCOME_UNKNOWN = `(status = 'failed' AND EXISTS (
  SELECT 1 FROM exchange_attempts a WHERE a.exchange_id = exchanges.id AND a.attempt_no = exchanges.attempt_count
     AND (a.outcome = 'abandoned' OR (a.outcome = 'retry' AND a.http_status IS NULL
          AND a.error_class IS DISTINCT FROM 'unreachable'))))`;

/** Older undelivered versions of the same state resource for this partner lose to the newer one. */
async function supersedeOlder(client: Tx, x: NewOutboundExchange, newId: string): Promise<number> {
  if (!x.stateKey || !x.partnerId) return 0;
  const { rowCount } = await sql(client).query(
    `UPDATE exchanges SET status = 'superseded', status_reason = 'superseded by ' || $4,
            queue_token = NULL, updated_at = now()
      WHERE partner_id = $1 AND state_key = $2 AND version < $3
        AND status IN ('pending', 'failed', 'dead', 'blocked') AND NOT ${LAST_OUTCOME_UNKNOWN}`,
    [x.partnerId, x.stateKey, x.version, newId],
  );
  // Possibly still to be applied by the partner: retried, and superseded by a failure it answers.
  await sql(client).query(
    `UPDATE exchanges SET supersede_on_failure = 'superseded by ' || $4
      WHERE partner_id = $1 AND state_key = $2 AND version < $3 AND ${LAST_OUTCOME_UNKNOWN}`,
    [x.partnerId, x.stateKey, x.version, newId],
  );
  return rowCount ?? 0;
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
    if (x.stateKey) {
      const newer = await sql(client).query(
        `SELECT 1 FROM exchanges WHERE partner_id = $1 AND state_key = $2 AND version > $3
            AND status NOT IN ('superseded', 'discarded') LIMIT 1`,
        [x.partnerId, x.stateKey, x.version],
      );
      if (newer.rowCount) {
        status = 'superseded';
        reason = 'a newer version was already accepted';
      }
    }
  }
  const { rows } = await sql(client).query(
    `INSERT INTO exchanges (id, direction, partner_id, site, record_type, source_id, version, referral_id,
        person_id, state_key, delivery_mode, payload, status, status_reason, correlation_id, request_id,
        categories, roles, resource_keys, message_ids)
     VALUES ($1, 'outbound', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     RETURNING *`,
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
    ],
  );
  if (status === 'pending' && x.partnerId && x.personId) {
    await supersedeOlder(client, x, id);
    const job = await promoteHead(client, x.partnerId, x.personId);
    if (job) jobs.push(job);
  }
  const fresh = await sql(client).query('SELECT * FROM exchanges WHERE id = $1', [id]);
  return { exchange: await toExchange(client, (fresh.rows[0] ?? rows[0])!), jobs };
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
