// Dead letters: list, replay and discard. Replay keeps per-person order because it
// only reopens the exchange; the head-of-line rule decides when it is queued.
import { randomUUID } from 'node:crypto';
import type { Bundle } from 'fhir/r4.js';
import { type AuditWho, audit } from './audit.js';
import {
  EXCHANGE_PAYLOAD,
  type Exchange,
  getExchange,
  lockSequence,
  messageIdsOf,
  promoteHead,
  type QueueJob,
  resourceKeysOf,
} from './exchanges.js';
import { type Queryable, sql, type Tx, vaultOf } from './pg.js';

export interface DeadLetterFilter {
  partnerId?: string;
  site?: string;
  /** Matches the error class recorded with the failure (e.g. `http-422`, `validation`). */
  reason?: string;
  from?: Date;
  to?: Date;
  /** The person's blind index (persons.ts `personKey` of a verified identifier, e.g. the NHS number). */
  personKey?: string;
  correlationId?: string;
  referralId?: string;
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

function whereClause(f: DeadLetterFilter): { where: string; params: unknown[] } {
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
  if (f.personKey) add('x.person_id IN (SELECT k.person_id FROM person_keys k WHERE k.key = ?)', f.personKey);
  if (f.correlationId) add('x.correlation_id::text = ?', f.correlationId.toLowerCase());
  if (f.referralId) add('x.referral_id = ?', f.referralId);
  return { where: parts.join(' AND '), params };
}

export async function listDeadLetters(db: Queryable, f: DeadLetterFilter = {}): Promise<DeadLetterSummary[]> {
  const { where, params } = whereClause(f);
  params.push(Math.min(f.limit ?? 100, 1000));
  const { rows } = await sql(db).query(
    `SELECT x.id, x.partner_id, x.site, x.record_type, x.source_id, x.version, x.status_reason,
            x.attempt_count, x.updated_at,
            (SELECT count(*) FROM exchanges b WHERE b.partner_id = x.partner_id AND b.person_id = x.person_id
               AND b.status = 'blocked' AND b.seq > x.seq)::int AS blocked_behind
       FROM exchanges x WHERE ${where} ORDER BY x.seq LIMIT $${params.length}`,
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

/** What replay and discard found: the exchange's jobs to queue, or why nothing was done. */
export type ReopenResult =
  | { kind: 'done'; jobs: QueueJob[] }
  | { kind: 'not-found' }
  | { kind: 'not-dead'; status: string };

async function reopen(
  tx: Tx,
  id: string,
  who: AuditWho,
  action: 'replay' | 'discard',
  detail: Record<string, unknown>,
  apply: (x: Exchange) => Promise<void>,
): Promise<ReopenResult> {
  const x = await getExchange(tx, id);
  if (!x) return { kind: 'not-found' };
  if (x.status !== 'dead') return { kind: 'not-dead', status: x.status };
  if (x.partnerId && x.personId) await lockSequence(tx, x.partnerId, x.personId);
  await apply(x);
  await audit(tx, { ...who, action, targetType: 'exchange', targetId: id, detail });
  if (!x.partnerId || !x.personId) return { kind: 'done', jobs: [] };
  const job = await promoteHead(tx, x.partnerId, x.personId);
  return { kind: 'done', jobs: job ? [job] : [] };
}

/**
 * Replays a dead exchange: a new X-Request-Id, the same correlation id and business identifiers.
 * `payload` replaces the stored payload when the mapping was re-run with the current mapping version.
 */
export async function replayDeadLetter(
  tx: Tx,
  id: string,
  who: AuditWho,
  opts: { payload?: unknown; mappingVersion?: string } = {},
): Promise<ReopenResult> {
  return reopen(
    tx,
    id,
    who,
    'replay',
    {
      remapped: opts.payload !== undefined,
      ...(opts.mappingVersion ? { mappingVersion: opts.mappingVersion } : {}),
    },
    async (x) => {
      await sql(tx).query(
        `UPDATE exchanges SET status = 'pending', status_reason = 'replayed', request_id = $2, queue_token = NULL,
              next_attempt_at = NULL, payload = COALESCE($3::jsonb, payload),
              resource_keys = COALESCE($4::text[], resource_keys), message_ids = COALESCE($5::text[], message_ids),
              updated_at = now()
        WHERE id = $1`,
        [
          x.id,
          randomUUID(),
          opts.payload === undefined ? null : await vaultOf(tx).seal(opts.payload, EXCHANGE_PAYLOAD),
          opts.payload === undefined ? null : resourceKeysOf(opts.payload as Bundle),
          opts.payload === undefined ? null : messageIdsOf(opts.payload as Bundle),
        ],
      );
    },
  );
}

export async function discardDeadLetter(
  tx: Tx,
  id: string,
  who: AuditWho,
  reason: string,
): Promise<ReopenResult> {
  return reopen(tx, id, who, 'discard', { reason }, async (x) => {
    await sql(tx).query(
      `UPDATE exchanges SET status = 'discarded', status_reason = $2, queue_token = NULL, updated_at = now()
        WHERE id = $1`,
      [x.id, reason],
    );
  });
}
