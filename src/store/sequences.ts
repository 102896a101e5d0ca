// Per-person ordering of outbound exchanges: each (partner, person) sequence is changed under one
// advisory lock, and only its head — the oldest open exchange — is ever on the queue.
import { randomUUID } from 'node:crypto';
import { advisoryLock, sql, type Tx } from './pg.js';

export const OPEN_STATUSES = ['pending', 'in-flight', 'failed', 'dead', 'blocked'] as const;

/** What must be put on a partner's queue once the transaction has committed. */
export interface QueueJob {
  partnerId: string;
  exchangeId: string;
  token: string;
  /** Not before this time (retries and Retry-After). */
  notBefore: Date | null;
}

/** Queue tokens appear in BullMQ job ids: no ':' and never all digits. */
export const newToken = (): string => `t${randomUUID().replaceAll('-', '')}`;

/** The advisory lock key of one (partner, person) sequence (`inTransaction`'s `lockKey` takes it too). */
export const sequenceLockKey = (partnerId: string, personId: string): string =>
  `seq|${partnerId}|${personId}`;

/** Serialises all changes to one (partner, person) sequence inside the current transaction. */
export async function lockSequence(client: Tx, partnerId: string, personId: string): Promise<void> {
  await advisoryLock(client, sequenceLockKey(partnerId, personId));
}

/**
 * Looks at the head (oldest open exchange) of a (partner, person) sequence and returns the job to
 * queue, if any. A dead head blocks everything behind it; a blocked head whose dead predecessor was
 * replayed or discarded becomes pending again. Must run under lockSequence.
 */
export async function promoteHead(client: Tx, partnerId: string, personId: string): Promise<QueueJob | null> {
  return (await promote(client, partnerId, personId)).job;
}

/** A sequence's head as `promote` reads it (`headSql`), or null when nothing in it is open. */
export interface SequenceHead {
  id: string;
  seq: string | number;
  status: string;
  queue_token: string | null;
  next_attempt_at: Date | null;
  has_blocked: boolean;
}

/**
 * The SQL of a sequence's head — its oldest open exchange — and whether anything in it is blocked,
 * given the partner, the person and OPEN_STATUSES as parameters; with `except` (a parameter), the
 * head leaving that exchange out: a statement that ends an exchange reads the head after it.
 */
export const headSql = (partner: string, person: string, open: string, except?: string): string =>
  `SELECT id, seq, status, queue_token, next_attempt_at,
          EXISTS (SELECT 1 FROM exchanges WHERE partner_id = ${partner} AND person_id = ${person}
                     AND status = 'blocked') AS has_blocked
     FROM exchanges WHERE partner_id = ${partner} AND person_id = ${person} AND status = ANY(${open})
      ${except ? `AND id <> ${except}` : ''}
    ORDER BY seq LIMIT 1`;

/**
 * promoteHead, also saying which dead head (if any) blocked the sequence's pending exchanges. `read`:
 * the head as the caller's own statement read it under this sequence's lock (one round trip fewer).
 */
export async function promote(
  client: Tx,
  partnerId: string,
  personId: string,
  read?: { head: SequenceHead | null },
): Promise<{ job: QueueJob | null; blockedBehind?: string }> {
  // One round trip for the head and whether anything is blocked (most sequences have nothing blocked).
  const head = read
    ? read.head
    : ((
        await sql(client).query<SequenceHead>(headSql('$1', '$2', '$3'), [partnerId, personId, OPEN_STATUSES])
      ).rows[0] ?? null);
  if (!head) return { job: null };
  if (head.status === 'dead') {
    await sql(client).query(
      `UPDATE exchanges SET status = 'blocked', queue_token = NULL, updated_at = now(),
              status_reason = 'blocked behind dead exchange ' || $3
        WHERE partner_id = $1 AND person_id = $2 AND status = 'pending' AND seq > $4`,
      [partnerId, personId, head.id, head.seq],
    );
    return { job: null, blockedBehind: head.id };
  }
  // The dead exchange that blocked this sequence was replayed or discarded: everything up to the next
  // dead one (if any) is pending again, though only the head is queued.
  if (head.has_blocked)
    await sql(client).query(
      `UPDATE exchanges SET status = 'pending', status_reason = NULL, updated_at = now()
        WHERE partner_id = $1 AND person_id = $2 AND status = 'blocked'
          AND seq < COALESCE((SELECT min(seq) FROM exchanges
                               WHERE partner_id = $1 AND person_id = $2 AND status = 'dead'), 9223372036854775807)`,
      [partnerId, personId],
    );
  if (head.status === 'in-flight') return { job: null };
  if ((head.status === 'pending' || head.status === 'failed') && head.queue_token) return { job: null };
  const token = newToken();
  await sql(client).query(
    `UPDATE exchanges SET status = CASE WHEN status = 'blocked' THEN 'pending' ELSE status END,
            status_reason = CASE WHEN status = 'blocked' THEN NULL ELSE status_reason END,
            queue_token = $2, updated_at = now() WHERE id = $1`,
    [head.id, token],
  );
  return { job: { partnerId, exchangeId: head.id, token, notBefore: head.next_attempt_at ?? null } };
}
