// Dead letters: list, show (audited), replay and discard. Replay keeps per-person order because it
// only reopens the exchange; the head-of-line rule decides when it is queued.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type Db, inTransaction } from './db.js';
import { type Exchange, getExchange, lockSequence, promoteHead, type QueueJob } from './exchanges.js';

export interface DeadLetterFilter {
  partnerId?: string;
  site?: string;
  /** Matches the error class recorded with the failure (e.g. `http-422`, `validation`). */
  reason?: string;
  from?: Date;
  to?: Date;
  limit?: number;
}

export interface DeadLetterSummary {
  id: string;
  partnerId: string | null;
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  reason: string | null;
  attempts: number;
  blockedBehind: number;
  updatedAt: Date;
}

export async function audit(
  db: Db | pg.PoolClient,
  actor: string,
  action: string,
  targetType: string,
  targetId: string | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (actor, action, target_type, target_id, detail) VALUES ($1, $2, $3, $4, $5)',
    [actor, action, targetType, targetId, JSON.stringify(detail)],
  );
}

function whereClause(f: DeadLetterFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = [`x.status = 'dead'`];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    parts.push(sql.replace('?', `$${params.length}`));
  };
  if (f.partnerId) add('x.partner_id = ?', f.partnerId);
  if (f.site) add('x.site = ?', f.site);
  if (f.reason) add('x.status_reason = ?', f.reason);
  if (f.from) add('x.updated_at >= ?', f.from);
  if (f.to) add('x.updated_at < ?', f.to);
  return { sql: parts.join(' AND '), params };
}

export async function listDeadLetters(db: Db, f: DeadLetterFilter = {}): Promise<DeadLetterSummary[]> {
  const { sql, params } = whereClause(f);
  params.push(Math.min(f.limit ?? 100, 1000));
  const { rows } = await db.query(
    `SELECT x.id, x.partner_id, x.site, x.record_type, x.source_id, x.version, x.status_reason,
            x.attempt_count, x.updated_at,
            (SELECT count(*) FROM exchanges b WHERE b.partner_id = x.partner_id AND b.person_id = x.person_id
               AND b.status = 'blocked' AND b.seq > x.seq)::int AS blocked_behind
       FROM exchanges x WHERE ${sql} ORDER BY x.seq LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    partnerId: r.partner_id,
    site: r.site,
    recordType: r.record_type,
    sourceId: r.source_id,
    version: r.version,
    reason: r.status_reason,
    attempts: r.attempt_count,
    blockedBehind: r.blocked_behind,
    updatedAt: r.updated_at,
  }));
}

/** Shows one exchange with its payload: an audited view of patient data. */
export async function showExchange(db: Db, id: string, actor: string): Promise<Exchange | undefined> {
  const x = await getExchange(db, id);
  if (x) await audit(db, actor, 'view-payload', 'exchange', id);
  return x;
}

async function reopen(
  client: pg.PoolClient,
  id: string,
  actor: string,
  action: 'replay' | 'discard',
  detail: Record<string, unknown>,
  apply: (x: Exchange) => Promise<void>,
): Promise<QueueJob[]> {
  const x = await getExchange(client, id);
  if (x?.status !== 'dead') throw new DeadLetterStateError(id, x?.status);
  if (x.partnerId && x.personId) await lockSequence(client, x.partnerId, x.personId);
  await apply(x);
  await audit(client, actor, action, 'exchange', id, detail);
  if (!x.partnerId || !x.personId) return [];
  const job = await promoteHead(client, x.partnerId, x.personId);
  return job ? [job] : [];
}

export class DeadLetterStateError extends Error {
  override readonly name = 'DeadLetterStateError';
  constructor(
    readonly exchangeId: string,
    readonly status: string | undefined,
  ) {
    super(status ? `exchange ${exchangeId} is ${status}, not dead` : `exchange ${exchangeId} not found`);
  }
}

/**
 * Replays a dead exchange: a new X-Request-Id, the same correlation id and business identifiers.
 * `payload` replaces the stored payload when the mapping was re-run with the current mapping version.
 */
export async function replayDeadLetter(
  db: Db,
  id: string,
  actor: string,
  opts: { payload?: unknown; mappingVersion?: string } = {},
): Promise<QueueJob[]> {
  return inTransaction(db, (client) =>
    reopen(
      client,
      id,
      actor,
      'replay',
      {
        remapped: opts.payload !== undefined,
        ...(opts.mappingVersion ? { mappingVersion: opts.mappingVersion } : {}),
      },
      async (x) => {
        await client.query(
          `UPDATE exchanges SET status = 'pending', status_reason = 'replayed', request_id = $2, queue_token = NULL,
                next_attempt_at = NULL, payload = COALESCE($3::jsonb, payload), updated_at = now()
          WHERE id = $1`,
          [x.id, randomUUID(), opts.payload === undefined ? null : JSON.stringify(opts.payload)],
        );
      },
    ),
  );
}

export async function discardDeadLetter(
  db: Db,
  id: string,
  actor: string,
  reason: string,
): Promise<QueueJob[]> {
  return inTransaction(db, (client) =>
    reopen(client, id, actor, 'discard', { reason }, async (x) => {
      await client.query(
        `UPDATE exchanges SET status = 'discarded', status_reason = $2, queue_token = NULL, updated_at = now()
          WHERE id = $1`,
        [x.id, reason],
      );
    }),
  );
}
