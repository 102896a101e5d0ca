// Store first: inputs that passed their structural checks but failed mapping or validation are kept
// with the error (one row per failing input, however often it is resent), listed, and marked
// remapped once a re-run with the current mappings succeeds.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { OperationOutcome } from 'fhir/r4.js';
import { type Queryable, sql, type Tx, vaultOf } from './pg.js';

/** Sealing contexts (store/sealing.ts): the failed input, and its error (which may quote the input). */
export const FAILURE_INPUT = 'record_failures.input';
export const FAILURE_ERROR = 'record_failures.error';

export type FailureKind = 'record' | 'inbound';
export type FailureState = 'mapping-failed' | 'remapped';

export interface RecordFailure {
  id: string;
  kind: FailureKind;
  site: string | null;
  recordType: string | null;
  sourceId: string | null;
  version: number | null;
  partnerId: string | null;
  input: unknown;
  options: Record<string, unknown>;
  state: FailureState;
  error: OperationOutcome;
  attempts: number;
  resolution: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewFailure {
  kind: FailureKind;
  site?: string;
  recordType?: string;
  sourceId?: string;
  version?: number;
  partnerId?: string;
  input: unknown;
  options?: Record<string, unknown>;
  error: OperationOutcome;
  /**
   * The key of the input's dedupe hash (the person-matching key): keyed, so the hash cannot confirm a
   * guessed input. Without one (tests), a plain SHA-256.
   */
  hashKey?: string;
}

const toFailure = async (db: Queryable, r: Record<string, unknown>): Promise<RecordFailure> => ({
  id: r.id as string,
  kind: r.kind as FailureKind,
  site: (r.site as string | null) ?? null,
  recordType: (r.record_type as string | null) ?? null,
  sourceId: (r.source_id as string | null) ?? null,
  version: (r.version as number | null) ?? null,
  partnerId: (r.partner_id as string | null) ?? null,
  input: await vaultOf(db).open(r.input, FAILURE_INPUT),
  options: (r.options as Record<string, unknown>) ?? {},
  state: r.state as FailureState,
  error: await vaultOf(db).open<OperationOutcome>(r.error, FAILURE_ERROR),
  attempts: r.attempts as number,
  resolution: (r.resolution as Record<string, unknown> | null) ?? null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

/** Keeps a failure; the same input failing again updates its row (error, attempts). Returns its id. */
export async function keepFailure(db: Queryable, f: NewFailure): Promise<string> {
  const text = JSON.stringify(f.input);
  const hash = (f.hashKey ? createHmac('sha256', f.hashKey) : createHash('sha256'))
    .update(`${f.kind}|${text}`)
    .digest('hex');
  const { rows } = await sql(db).query(
    `INSERT INTO record_failures (id, kind, site, record_type, source_id, version, partner_id, input_hash,
        input, options, state, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'mapping-failed', $11)
     ON CONFLICT (kind, COALESCE(partner_id, ''), input_hash) WHERE state = 'mapping-failed'
     DO UPDATE SET error = EXCLUDED.error, attempts = record_failures.attempts + 1, updated_at = now()
     RETURNING id`,
    [
      randomUUID(),
      f.kind,
      f.site ?? null,
      f.recordType ?? null,
      f.sourceId ?? null,
      f.version ?? null,
      f.partnerId ?? null,
      hash,
      await vaultOf(db).seal(f.input, FAILURE_INPUT),
      JSON.stringify(f.options ?? {}),
      await vaultOf(db).seal(f.error, FAILURE_ERROR),
    ],
  );
  return rows[0]!.id as string;
}

export interface FailureFilter {
  state?: FailureState;
  site?: string;
  limit?: number;
}

export async function listFailures(db: Queryable, f: FailureFilter = {}): Promise<RecordFailure[]> {
  const { rows } = await sql(db).query(
    `SELECT * FROM record_failures WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR site = $2)
      ORDER BY created_at, id LIMIT $3`,
    [f.state ?? null, f.site ?? null, Math.min(f.limit ?? 100, 1000)],
  );
  return Promise.all(rows.map((r) => toFailure(db, r)));
}

/** One failure, locked for a remap when read inside a transaction (concurrent remaps wait). */
export async function getFailure(
  db: Queryable,
  id: string,
  forUpdate = false,
): Promise<RecordFailure | undefined> {
  const { rows } = await sql(db).query(
    `SELECT * FROM record_failures WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toFailure(db, rows[0]) : undefined;
}

/** A remap succeeded: the failure is resolved, with what it produced. */
export async function resolveFailure(tx: Tx, id: string, resolution: Record<string, unknown>): Promise<void> {
  await sql(tx).query(
    `UPDATE record_failures SET state = 'remapped', resolution = $2, updated_at = now() WHERE id = $1`,
    [id, JSON.stringify(resolution)],
  );
}

/** A remap failed again: the new error replaces the old. */
export async function failAgain(db: Queryable, id: string, error: OperationOutcome): Promise<void> {
  await sql(db).query(
    `UPDATE record_failures SET error = $2, attempts = attempts + 1, updated_at = now() WHERE id = $1`,
    [id, await vaultOf(db).seal(error, FAILURE_ERROR)],
  );
}
