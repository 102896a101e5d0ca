// The append-only, hash-chained audit log. A trigger refuses UPDATE, DELETE and TRUNCATE; another
// (run as the owner role, under a lock on the chain head) gives every row its `seq`, the previous
// row's hash and its own. Detail never holds patient data: ids, codes and counts only.
import { createHash } from 'node:crypto';
import { atCommit, literal, type Queryable, sql, type Tx } from './pg.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];

export interface AuditEntry {
  /** Who: `admin:<digest>`, `cli:<user>`, `partner:<id>`, `site:<id>:<key>`, `worker`, `anonymous`. */
  actor: string;
  /** What: view-payload, replay, discard, inbound-received, inbound-refused, remap, auth-failed, … */
  action: string;
  targetType: string;
  targetId: string | null;
  /** success (default), failure (it was tried and failed) or denied (authorisation refused it). */
  outcome?: AuditOutcome;
  /** The client's network address, where the action came over HTTP. */
  sourceAddress?: string | undefined;
  detail?: Record<string, unknown>;
}

/** Who did it, as the audit row names them. */
export interface AuditWho {
  actor: string;
  sourceAddress?: string | undefined;
}

const INSERT_AUDIT =
  'INSERT INTO audit_log (actor, action, target_type, target_id, outcome, source_address, detail)';

/** The row's column values, in INSERT_AUDIT's order (the last one JSON). */
const auditValues = (e: AuditEntry) => [
  e.actor,
  e.action,
  e.targetType,
  e.targetId,
  e.outcome ?? 'success',
  e.sourceAddress ?? null,
  JSON.stringify(e.detail ?? {}),
];

export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await sql(q).query(`${INSERT_AUDIT} VALUES ($1, $2, $3, $4, $5, $6, $7)`, auditValues(e));
}

/**
 * `audit` as the transaction's last statement, sent with its COMMIT (one round trip fewer, and the
 * audit chain's head, which the row's trigger locks until commit, is held for that round trip only).
 * The row is written only if the transaction commits, as with `audit(tx, …)`.
 */
export function auditAtCommit(tx: Tx, e: AuditEntry): void {
  const values = auditValues(e).map(literal);
  atCommit(tx, `${INSERT_AUDIT} VALUES (${values.slice(0, 6).join(', ')}, ${values[6]}::jsonb)`);
}

export interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: AuditOutcome;
  sourceAddress: string | null;
  detail: Record<string, unknown>;
  hash: string;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  /** The target's type, id, or `type/id`. */
  resource?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Rows after this seq (paging: pass the last seq of the previous page). */
  after?: number;
  limit?: number;
}

interface RawRow {
  seq: string;
  at: Date;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: AuditOutcome;
  source_address: string | null;
  detail: Record<string, unknown>;
  hash: Buffer;
}

/** Rows matching the filter, oldest first, at most `limit` (default 100). */
export async function listAudit(q: Queryable, f: AuditQuery): Promise<AuditRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (cond: string, v: unknown) => {
    args.push(v);
    where.push(cond.replaceAll('?', `$${args.length}`));
  };
  if (f.actor) add('actor = ?', f.actor);
  if (f.action) add('action = ?', f.action);
  if (f.outcome) add('outcome = ?', f.outcome);
  if (f.resource) {
    const slash = f.resource.indexOf('/');
    if (slash > 0) {
      add('target_type = ?', f.resource.slice(0, slash));
      add('target_id = ?', f.resource.slice(slash + 1));
    } else add('(target_id = ? OR target_type = ?)', f.resource);
  }
  if (f.from) add('at >= ?', f.from);
  if (f.to) add('at < ?', f.to);
  if (f.after !== undefined) add('seq > ?', f.after);
  args.push(f.limit ?? 100);
  const { rows } = await sql(q).query<RawRow>(
    `SELECT seq, at, actor, action, target_type, target_id, outcome, source_address, detail, hash
       FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq LIMIT $${args.length}`,
    args,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    sourceAddress: r.source_address,
    detail: r.detail,
    hash: r.hash.toString('hex'),
  }));
}

export type ChainVerdict =
  | { ok: true; rows: number; head: string }
  | {
      ok: false;
      rows: number;
      /** The first row that does not verify. */
      brokenAt: number;
      problem: 'hash' | 'link' | 'gap' | 'head';
    };

const BATCH = 5_000;

/**
 * Walks the whole chain in seq order and recomputes each hash here (sha256 of the canonical text of
 * the row's stored columns — the database's hashing function is not trusted): each row must hash to
 * its `hash`, carry the previous row's hash, follow it by exactly one, and the last must be the head.
 */
export async function verifyAuditChain(q: Queryable): Promise<ChainVerdict> {
  const s = sql(q);
  let prev: Buffer = createHash('sha256').update('').digest();
  let expected = 1;
  let rows = 0;
  for (;;) {
    const { rows: batch } = await s.query<{
      seq: string;
      prev_hash: Buffer;
      hash: Buffer;
      canonical: string;
    }>(
      `SELECT seq, prev_hash, hash,
              jsonb_build_array(seq::text, encode(prev_hash, 'hex'),
                to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, action, target_type,
                target_id, outcome, source_address, detail)::text AS canonical
         FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [expected, BATCH],
    );
    for (const r of batch) {
      const seq = Number(r.seq);
      if (seq !== expected) return { ok: false, rows, brokenAt: expected, problem: 'gap' };
      if (!r.prev_hash.equals(prev)) return { ok: false, rows, brokenAt: seq, problem: 'link' };
      const h = createHash('sha256').update(r.canonical, 'utf8').digest();
      if (!h.equals(r.hash)) return { ok: false, rows, brokenAt: seq, problem: 'hash' };
      prev = r.hash;
      expected = seq + 1;
      rows++;
    }
    if (batch.length < BATCH) break;
  }
  const { rows: head } = await s.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_chain');
  const h = head[0];
  // The head is ahead of the last row: rows were removed from the end (the truncation of a chain).
  if (!h || Number(h.seq) !== expected - 1 || !h.hash.equals(prev))
    return { ok: false, rows, brokenAt: expected, problem: 'head' };
  return { ok: true, rows, head: prev.toString('hex') };
}
