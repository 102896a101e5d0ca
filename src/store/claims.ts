// Claiming an exchange for delivery (lease + claim token), recording each attempt before it is sent,
// and recording its outcome — only the holder of the current claim token may do so.
import { randomUUID } from 'node:crypto';
import { type AttemptResult, attemptResponse, outcomeUnknown } from './attempt-results.js';
import { auditAtCommit } from './audit.js';
import { type Db, inTransaction } from './db.js';
import { EXCHANGE_LAST_ERROR, type Exchange, newToken, type QueueJob, toExchange } from './exchanges.js';
import { ATTEMPT_RESPONSE, keptOutcome, keptResponse } from './partner-answers.js';
import { type LearnedVersion, partnerVersionsUpsert } from './partner-resources.js';
import { queryInOrder, sql, vaultOf } from './pg.js';
import { headSql, OPEN_STATUSES, promote, type SequenceHead, sequenceLockKey } from './sequences.js';

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
  const claimToken = randomUUID();
  // One statement, so one round trip and no explicit transaction (a statement is atomic): the claim,
  // any attempt a crash left open marked abandoned, the new attempt row — written before anything is
  // sent, so a worker that dies on the wire still leaves its row — and the audit row of the start.
  // (The CTEs share one snapshot: the abandoning UPDATE cannot see the attempt inserted beside it.)
  const { rows } = await sql(db).query(
    `WITH claimed AS (
       UPDATE exchanges SET status = 'in-flight', claim_token = $3,
              lease_until = now() + ($4::int * interval '1 millisecond'),
              attempt_count = attempt_count + 1, updated_at = now()
        WHERE id = $1 AND queue_token = $2
          AND (status IN ('pending', 'failed') OR (status = 'in-flight' AND lease_until < now()))
        RETURNING *),
     cut AS (
       UPDATE exchange_attempts SET outcome = 'abandoned', finished_at = now()
        WHERE exchange_id = $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM claimed)
        RETURNING 1),
     attempt AS (
       INSERT INTO exchange_attempts (exchange_id, attempt_no, request_id, claim_token)
       SELECT id, attempt_count, COALESCE(request_id, $5), $3 FROM claimed
       RETURNING request_id),
     counted AS (SELECT (SELECT count(*) FROM cut)::int AS abandoned),
     -- Ids and counts only (as every audit row): the partner, the attempt, its request id.
     logged AS (
       INSERT INTO audit_log (actor, action, target_type, target_id, outcome, detail)
       SELECT 'worker', 'deliver-start', 'exchange', $1::text, 'success',
              jsonb_build_object('partner', c.partner_id, 'attempt', c.attempt_count,
                                 'requestId', (SELECT request_id FROM attempt))
                || CASE WHEN n.abandoned > 0 THEN jsonb_build_object('abandoned', n.abandoned)
                        ELSE '{}'::jsonb END
         FROM claimed c, counted n
       RETURNING 1)
     SELECT claimed.*, counted.abandoned, (SELECT request_id FROM attempt) AS attempt_request_id,
            (SELECT count(*) FROM logged)::int AS logged
       FROM claimed, counted`,
    [exchangeId, queueToken, claimToken, leaseMs, randomUUID()],
  );
  const row = rows[0];
  if (!row) return undefined;
  const exchange = await toExchange(db, row);
  return {
    exchange,
    claimToken,
    attemptNo: exchange.attemptCount,
    requestId: row.attempt_request_id as string,
  };
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
  /** What the partner answered about the resources this attempt wrote: kept in the same transaction. */
  learned: readonly LearnedVersion[] = [],
): Promise<{ jobs: QueueJob[] } | undefined> {
  const x = claim.exchange;
  // The sequence lock is taken with BEGIN and the finish statement (one round trip: db.ts, pg.ts).
  const lockKey = x.partnerId && x.personId ? sequenceLockKey(x.partnerId, x.personId) : undefined;
  return inTransaction(
    db,
    async (client) => {
      // A referral withdrawn while this attempt was on the wire (supersede_on_failure set): a failure the
      // partner answered ends the exchange here. After a timeout or a lost connection the partner may
      // still apply the attempt late, so it is retried (or dead) and the person's next exchange waits.
      const mayEnd = result.outcome !== 'delivered' && !outcomeUnknown(result);
      const unlessEnded = result.outcome === 'retry' ? 'failed' : result.outcome;
      const retryToken = result.outcome === 'retry' ? newToken() : null;
      const ended = `($8::boolean AND supersede_on_failure IS NOT NULL)`;
      // Sealed before the statements below, which are written together (one round trip).
      const lastError =
        result.outcome === 'delivered'
          ? null
          : await vaultOf(client).seal(keptOutcome(result.error), EXCHANGE_LAST_ERROR);
      // The answer cut to a few kB, with the partner's issue codes kept beside it, sealed.
      const response = await vaultOf(client).seal(
        attemptResponse({ ...result, response: keptResponse(result.response) }),
        ATTEMPT_RESPONSE,
      );
      // The partner's versions, written whatever the claim's fate (they are the partner's facts), sent
      // with BEGIN, the lock and the statement below in one round trip (pipelined: pg.ts).
      const upsert = x.partnerId ? partnerVersionsUpsert(x.partnerId, learned) : undefined;
      // One statement: the exchange's outcome and its attempt's (only while this claim holds).
      const results = await queryInOrder(client, [
        ...(upsert ? [upsert] : []),
        {
          text: `WITH x AS (
         UPDATE exchanges SET status = CASE WHEN ${ended} THEN 'superseded' ELSE $3 END,
                claim_token = NULL, lease_until = NULL,
                queue_token = CASE WHEN ${ended} THEN NULL ELSE $4 END,
                next_attempt_at = CASE WHEN ${ended} THEN NULL
                                       ELSE now() + ($5::int * interval '1 millisecond') END,
                last_error = $6, updated_at = now(),
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                status_reason = CASE WHEN ${ended} THEN supersede_on_failure ELSE $7 END
          WHERE id = $1 AND claim_token = $2 AND status = 'in-flight' RETURNING *),
       a AS (
         UPDATE exchange_attempts SET finished_at = now(), outcome = $9, http_status = $10, response = $11,
                error_class = $12, duration_ms = $13
          WHERE exchange_id = $1 AND claim_token = $2 AND EXISTS (SELECT 1 FROM x)
          RETURNING 1),
       -- The head after this exchange (read under the sequence's lock, so nothing else moves it), for
       -- when this one ends here: promoting it then needs no read of its own.
       nxt AS (${headSql('$14', '$15', '$16', '$1')})
       SELECT x.status, n.id AS nxt_id, n.seq AS nxt_seq, n.status AS nxt_status,
              n.queue_token AS nxt_queue_token, n.next_attempt_at AS nxt_next_attempt_at,
              n.has_blocked AS nxt_has_blocked
         FROM x LEFT JOIN nxt n ON true`,
          values: [
            x.id,
            claim.claimToken,
            unlessEnded,
            retryToken,
            // The backoff as a duration, timed by PostgreSQL: a worker whose clock is off (or jumps)
            // cannot push a retry hours away (the sweeper compares it with PostgreSQL's clock).
            result.outcome === 'retry' ? Math.max(0, result.retryAt.getTime() - Date.now()) : null,
            lastError,
            result.outcome === 'delivered' ? null : result.errorClass,
            mayEnd,
            result.outcome,
            result.httpStatus ?? null,
            response,
            result.outcome === 'delivered' ? null : result.errorClass,
            Math.round(result.durationMs),
            x.partnerId,
            x.personId,
            OPEN_STATUSES,
          ],
        },
      ]);
      const rows = results.at(-1)?.rows ?? [];
      if (!rows[0]) return undefined;
      const status = rows[0].status as string;
      const jobs: QueueJob[] = [];
      if (status === 'failed' && retryToken && x.partnerId) {
        jobs.push({
          partnerId: x.partnerId,
          exchangeId: x.id,
          token: retryToken,
          notBefore: result.outcome === 'retry' ? result.retryAt : null,
        });
      } else if (x.partnerId && x.personId) {
        // Delivered or superseded: no longer open, so the head is the one read after it. A dead
        // exchange is its sequence's head still (it blocks what follows): promote reads it.
        const r = rows[0];
        const head: SequenceHead | null = r.nxt_id
          ? {
              id: r.nxt_id,
              seq: r.nxt_seq,
              status: r.nxt_status,
              queue_token: r.nxt_queue_token,
              next_attempt_at: r.nxt_next_attempt_at,
              has_blocked: r.nxt_has_blocked,
            }
          : null;
        const ended = status === 'delivered' || status === 'superseded';
        const { job } = await promote(client, x.partnerId, x.personId, ended ? { head } : undefined);
        if (job) jobs.push(job);
      }
      // Every delivery attempt is in the audit trail (ids and classes only; never the partner's answer).
      // Sent with the COMMIT: the audit chain's head, locked by the row's trigger, is held for that trip only.
      auditAtCommit(client, {
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
      return { jobs };
    },
    lockKey ? { lockKey } : {},
  );
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
