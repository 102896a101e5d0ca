// Claiming an exchange for delivery (lease + claim token), recording each attempt before it is sent,
// and recording its outcome — only the holder of the current claim token may do so.
import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from 'fhir/r4.js';
import { audit } from './audit.js';
import { type Db, inTransaction } from './db.js';
import {
  EXCHANGE_LAST_ERROR,
  type Exchange,
  lockSequence,
  newToken,
  promoteHead,
  type QueueJob,
  toExchange,
} from './exchanges.js';
import { ATTEMPT_RESPONSE, keptOutcome, keptResponse } from './partner-answers.js';
import { sql, vaultOf } from './pg.js';

export interface Claim {
  exchange: Exchange;
  claimToken: string;
  attemptNo: number;
  /** Reused across retries of a transient failure and after a crash; new only on replay. */
  requestId: string;
}

/**
 * Claims an exchange named by a queue job. Returns undefined when the job is stale: the token has
 * moved on (replayed, superseded, delivered) or another worker holds an unexpired lease.
 */
export async function claimExchange(
  db: Db,
  exchangeId: string,
  queueToken: string,
  leaseMs: number,
): Promise<Claim | undefined> {
  return inTransaction(db, async (client) => {
    const claimToken = randomUUID();
    const { rows } = await sql(client).query(
      `UPDATE exchanges SET status = 'in-flight', claim_token = $3,
              lease_until = now() + ($4::int * interval '1 millisecond'),
              attempt_count = attempt_count + 1, updated_at = now()
        WHERE id = $1 AND queue_token = $2
          AND (status IN ('pending', 'failed') OR (status = 'in-flight' AND lease_until < now()))
        RETURNING *`,
      [exchangeId, queueToken, claimToken, leaseMs],
    );
    const row = rows[0];
    if (!row) return undefined;
    const exchange = await toExchange(client, row);
    // A previous attempt left open was cut short by a crash: the partner may or may not have it.
    const cut = await sql(client).query(
      `UPDATE exchange_attempts SET outcome = 'abandoned', finished_at = now()
        WHERE exchange_id = $1 AND finished_at IS NULL`,
      [exchangeId],
    );
    const requestId = exchange.requestId ?? randomUUID();
    await sql(client).query(
      `INSERT INTO exchange_attempts (exchange_id, attempt_no, request_id, claim_token) VALUES ($1, $2, $3, $4)`,
      [exchangeId, exchange.attemptCount, requestId, claimToken],
    );
    // The attempt begins before anything is sent: a worker that dies on the wire still leaves its row.
    await audit(client, {
      actor: 'worker',
      action: 'deliver-start',
      targetType: 'exchange',
      targetId: exchangeId,
      detail: {
        partner: exchange.partnerId,
        attempt: exchange.attemptCount,
        requestId,
        ...(cut.rowCount ? { abandoned: cut.rowCount } : {}),
      },
    });
    return { exchange, claimToken, attemptNo: exchange.attemptCount, requestId };
  });
}

export type AttemptResult =
  | { outcome: 'delivered'; httpStatus?: number; response?: unknown; durationMs: number }
  | {
      outcome: 'retry';
      httpStatus?: number;
      response?: unknown;
      errorClass: string;
      error: OperationOutcome;
      durationMs: number;
      retryAt: Date;
    }
  | {
      outcome: 'dead';
      httpStatus?: number;
      response?: unknown;
      errorClass: string;
      error: OperationOutcome;
      durationMs: number;
    };

/** One issue of a partner's OperationOutcome as an attempt keeps it: codes only, never its text. */
export interface AttemptIssue {
  severity: string;
  code: string;
  /** details.coding codes, e.g. BaRS `REC_UNPROCESSABLE_ENTITY`. */
  details: string[];
}

const CODE = /^[A-Za-z0-9._-]{1,64}$/;
const safeCode = (v: unknown): string | undefined => (typeof v === 'string' && CODE.test(v) ? v : undefined);

/**
 * What an attempt keeps of the partner's answer: the summary the client made, and for a failure the
 * partner answered, its OperationOutcome's issue codes. Diagnostics and any other text are left out:
 * a partner may quote the patient in them.
 */
export function attemptResponse(result: AttemptResult): unknown {
  if (result.outcome === 'delivered' || result.httpStatus === undefined) return result.response ?? null;
  const issues: AttemptIssue[] = (result.error.issue ?? []).slice(0, 20).map((i) => ({
    severity: safeCode(i.severity) ?? 'error',
    code: safeCode(i.code) ?? 'unknown',
    details: (i.details?.coding ?? []).flatMap((c) => safeCode(c.code) ?? []).slice(0, 10),
  }));
  return { ...(result.response && typeof result.response === 'object' ? result.response : {}), issues };
}

/**
 * Whether the partner may have applied a failed attempt: no HTTP answer came (timeout, connection
 * lost, an unexpected failure while sending). Such an attempt's exchange is never superseded or
 * skipped while its outcome is unknown — in message and document mode nothing at the partner would
 * refuse its late arrival after the person's next exchange.
 */
export function outcomeUnknown(result: Exclude<AttemptResult, { outcome: 'delivered' }>): boolean {
  return result.httpStatus === undefined && /^(timeout|network|internal)\b/.test(result.errorClass);
}

/**
 * Records the outcome of the attempt held by claimToken. Returns the jobs to queue (the retry, or the
 * next exchange in the person's sequence), or undefined when the claim was lost (lease expired and
 * taken over): the caller must then do nothing more.
 */
export async function finishAttempt(
  db: Db,
  claim: Claim,
  result: AttemptResult,
): Promise<{ jobs: QueueJob[] } | undefined> {
  return inTransaction(db, async (client) => {
    const x = claim.exchange;
    if (x.partnerId && x.personId) await lockSequence(client, x.partnerId, x.personId);
    // A referral withdrawn while this attempt was on the wire: a failure ends the exchange here.
    const marked = await sql(client).query('SELECT supersede_on_failure FROM exchanges WHERE id = $1', [
      x.id,
    ]);
    // Only a failure the partner answered ends it: after a timeout or a lost connection the partner may
    // still apply the attempt late, so it is retried (or dead) and the person's next exchange waits.
    const supersede: string | null =
      result.outcome !== 'delivered' && !outcomeUnknown(result)
        ? (marked.rows[0]?.supersede_on_failure ?? null)
        : null;
    const retryToken = result.outcome === 'retry' && !supersede ? newToken() : null;
    const status = supersede ? 'superseded' : result.outcome === 'retry' ? 'failed' : result.outcome;
    const { rows } = await sql(client).query(
      `UPDATE exchanges SET status = $3, claim_token = NULL, lease_until = NULL, queue_token = $4,
              next_attempt_at = now() + ($5::int * interval '1 millisecond'), last_error = $6, updated_at = now(),
              delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
              status_reason = $7
        WHERE id = $1 AND claim_token = $2 AND status = 'in-flight' RETURNING *`,
      [
        x.id,
        claim.claimToken,
        status,
        retryToken,
        // The backoff as a duration, timed by PostgreSQL: a worker whose clock is off (or jumps)
        // cannot push a retry hours away (the sweeper compares it with PostgreSQL's clock).
        retryToken && result.outcome === 'retry' ? Math.max(0, result.retryAt.getTime() - Date.now()) : null,
        result.outcome === 'delivered'
          ? null
          : await vaultOf(client).seal(keptOutcome(result.error), EXCHANGE_LAST_ERROR),
        supersede ?? (result.outcome === 'delivered' ? null : result.errorClass),
      ],
    );
    if (!rows[0]) return undefined;
    await sql(client).query(
      `UPDATE exchange_attempts SET finished_at = now(), outcome = $3, http_status = $4, response = $5,
              error_class = $6, duration_ms = $7
        WHERE exchange_id = $1 AND claim_token = $2`,
      [
        x.id,
        claim.claimToken,
        result.outcome,
        result.httpStatus ?? null,
        // The answer cut to a few kB, with the partner's issue codes kept beside it, sealed.
        await vaultOf(client).seal(
          attemptResponse({ ...result, response: keptResponse(result.response) }),
          ATTEMPT_RESPONSE,
        ),
        result.outcome === 'delivered' ? null : result.errorClass,
        Math.round(result.durationMs),
      ],
    );
    // Every delivery attempt is in the audit trail (ids and classes only; never the partner's answer).
    await audit(client, {
      actor: 'worker',
      action: 'deliver',
      targetType: 'exchange',
      targetId: x.id,
      outcome: result.outcome === 'delivered' ? 'success' : 'failure',
      detail: {
        partner: x.partnerId,
        attempt: claim.attemptNo,
        status,
        ...(result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {}),
        ...(result.outcome === 'delivered' ? {} : { errorClass: result.errorClass }),
      },
    });
    const jobs: QueueJob[] = [];
    if (retryToken && x.partnerId) {
      jobs.push({
        partnerId: x.partnerId,
        exchangeId: x.id,
        token: retryToken,
        notBefore: result.outcome === 'retry' ? result.retryAt : null,
      });
    } else if (x.partnerId && x.personId) {
      const next = await promoteHead(client, x.partnerId, x.personId);
      if (next) jobs.push(next);
    }
    return { jobs };
  });
}

/**
 * Sweeper, part 1: in-flight exchanges whose lease expired (their worker died) go back to `failed`
 * with a fresh queue token. Only expired leases are released. The dead worker's attempt may have
 * reached the partner, so even a withdrawn referral's exchange is retried (its mark stays: a failure
 * the partner answers then supersedes it) before the person's next exchange may go.
 */
export async function releaseExpiredLeases(db: Db): Promise<QueueJob[]> {
  return inTransaction(db, async (client) => {
    const { rows } = await sql(client).query(
      `UPDATE exchanges SET claim_token = NULL, lease_until = NULL, updated_at = now(),
              status = 'failed', queue_token = 't' || replace(gen_random_uuid()::text, '-', ''),
              status_reason = 'lease expired'
        WHERE status = 'in-flight' AND lease_until < now()
        RETURNING id, status, partner_id, person_id, queue_token, next_attempt_at`,
    );
    await sql(client).query(
      `UPDATE exchange_attempts SET outcome = 'abandoned', finished_at = now()
        WHERE finished_at IS NULL AND exchange_id = ANY($1::uuid[])`,
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => ({
      partnerId: r.partner_id,
      exchangeId: r.id,
      token: r.queue_token,
      notBefore: null,
    }));
  });
}

/**
 * Sweeper, part 2: exchanges that hold a queue token but may not be on the queue (the process died
 * between commit and enqueue, or Redis lost its data). Re-adding a job with the same id is harmless
 * when it is still queued: BullMQ ignores a duplicate job id.
 */
export async function findQueuedHeads(db: Db, olderThanMs: number, limit = 1_000): Promise<QueueJob[]> {
  const { rows } = await sql(db).query(
    `SELECT id, partner_id, queue_token, next_attempt_at FROM exchanges
      WHERE status IN ('pending', 'failed') AND queue_token IS NOT NULL AND partner_id IS NOT NULL
        AND updated_at < now() - ($1::int * interval '1 millisecond')
      ORDER BY updated_at, seq LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map((r) => ({
    partnerId: r.partner_id,
    exchangeId: r.id,
    token: r.queue_token,
    notBefore: r.next_attempt_at ?? null,
  }));
}

/**
 * Gives an unclaimed queued exchange a new queue token, so that its next job is a new BullMQ job: the
 * old one is held by a worker that died before claiming it (BullMQ would release it only after its own
 * lock and stall check). The old job, should it ever run, is then stale. Undefined when the exchange
 * moved on meanwhile (claimed, delivered, superseded).
 */
export async function rotateQueueToken(db: Db, job: QueueJob): Promise<QueueJob | undefined> {
  const token = newToken();
  const { rows } = await sql(db).query(
    `UPDATE exchanges SET queue_token = $3, updated_at = now()
      WHERE id = $1 AND queue_token = $2 AND status IN ('pending', 'failed') RETURNING next_attempt_at`,
    [job.exchangeId, job.token, token],
  );
  return rows[0] ? { ...job, token, notBefore: rows[0].next_attempt_at ?? null } : undefined;
}

/**
 * Sweeper, part 3: retries whose time has passed, by PostgreSQL's clock, longer ago than olderThanMs
 * and that still wait. Their queue job may be delayed by a clock that jumped (BullMQ times delayed
 * jobs by the clock of the process that added them): the sweeper gives them a new job to run now.
 */
export async function findOverdueRetries(db: Db, olderThanMs: number, limit = 1_000): Promise<QueueJob[]> {
  const { rows } = await sql(db).query(
    `SELECT id, partner_id, queue_token FROM exchanges
      WHERE status = 'failed' AND queue_token IS NOT NULL AND partner_id IS NOT NULL
        AND next_attempt_at < now() - ($1::int * interval '1 millisecond')
      ORDER BY next_attempt_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map((r) => ({
    partnerId: r.partner_id,
    exchangeId: r.id,
    token: r.queue_token,
    notBefore: null,
  }));
}

/**
 * Extends the lease of a claim still held (a long delivery must not look like a dead worker's).
 * Returns false when the claim was lost: the caller then records nothing.
 */
export async function renewLease(db: Db, claim: Claim, leaseMs: number): Promise<boolean> {
  const { rowCount } = await sql(db).query(
    `UPDATE exchanges SET lease_until = now() + ($3::int * interval '1 millisecond')
      WHERE id = $1 AND claim_token = $2 AND status = 'in-flight'`,
    [claim.exchange.id, claim.claimToken, leaseMs],
  );
  return (rowCount ?? 0) > 0;
}
