// Key rotation and the inventory of sealed columns: every column that can hold patient data, where
// its rows are, and a batch step that (re)seals with the active master key what plaintext or an older
// key left. Online: each batch locks only the rows it rewrites (SKIP LOCKED), in its own transaction.

import { inTransaction } from './db.js';
import { EXCHANGE_LAST_ERROR, EXCHANGE_PAYLOAD } from './exchanges.js';
import { FAILURE_ERROR, FAILURE_INPUT } from './failures.js';
import { ATTEMPT_RESPONSE } from './partner-answers.js';
import { type Db, PgDb, PgTx, sql, vaultOf } from './pg.js';
import { factsOf } from './record-facts.js';
import { RECORD_PAYLOAD } from './records.js';
import { SEALED_MARK } from './sealing.js';

/** A column holding sealed values (jsonb), the key of its rows, and its sealing context. */
export interface SealedColumn {
  table: string;
  key: readonly string[];
  column: string;
  context: string;
}

/** Every column that can hold patient data (README "Security" lists them and what stays plain). */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: 'records',
    key: ['site', 'record_type', 'source_id', 'version'],
    column: 'payload',
    context: RECORD_PAYLOAD,
  },
  { table: 'exchanges', key: ['id'], column: 'payload', context: EXCHANGE_PAYLOAD },
  { table: 'exchanges', key: ['id'], column: 'last_error', context: EXCHANGE_LAST_ERROR },
  { table: 'exchange_attempts', key: ['id'], column: 'response', context: ATTEMPT_RESPONSE },
  { table: 'record_failures', key: ['id'], column: 'input', context: FAILURE_INPUT },
  { table: 'record_failures', key: ['id'], column: 'error', context: FAILURE_ERROR },
];

export const columnName = (c: SealedColumn): string => `${c.table}.${c.column}`;

/** Rows of a column that need sealing: plaintext (written before sealing), or sealed by another key. */
const needsRotation = (c: SealedColumn) =>
  `${c.column} IS NOT NULL AND (${c.column}->>'${SEALED_MARK}' IS NULL OR ${c.column}->>'kid' IS DISTINCT FROM $1)`;

/**
 * Reseals up to `limit` rows of a column with the active key, in one transaction; returns how many.
 * Rows another transaction holds are skipped (a later batch takes them), so the service never waits
 * on rotation for longer than one batch's update of a row.
 */
export async function rotateBatch(db: Db, c: SealedColumn, limit: number): Promise<number> {
  if (!(db instanceof PgDb)) throw new TypeError('not a navbridge database handle');
  const client = await db.pool.connect();
  const tx = new PgTx(client, db.vault, db.prepared);
  const vault = vaultOf(tx);
  try {
    await client.query('BEGIN');
    const keys = c.key.join(', ');
    const { rows } = await client.query(
      `SELECT ${keys}, ${c.column} AS v FROM ${c.table} WHERE ${needsRotation(c)}
        LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [vault.keys.activeKeyId, limit],
    );
    const match = c.key.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
    for (const r of rows) {
      const sealed = await vault.seal(await vault.open(r.v, c.context), c.context);
      await client.query(`UPDATE ${c.table} SET ${c.column} = $1::jsonb WHERE ${match}`, [
        sealed,
        ...c.key.map((k) => r[k]),
      ]);
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Fills `records.facts` for up to `limit` rows that have none — sealed before the facts column existed
 * (the migration fills plaintext rows itself) — by opening each payload; returns how many. `{}` for a
 * payload with no facts, so every row is done once. Online as `rotateBatch` is (SKIP LOCKED).
 */
export async function fillFactsBatch(db: Db, limit: number): Promise<number> {
  return inTransaction(db, async (tx) => {
    const { rows } = await sql(tx).query(
      `SELECT site, record_type, source_id, version, payload FROM records WHERE facts IS NULL
        LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    for (const r of rows) {
      const facts = factsOf(r.record_type, await vaultOf(tx).open(r.payload, RECORD_PAYLOAD)) ?? {};
      await sql(tx).query(
        `UPDATE records SET facts = $1::jsonb
          WHERE site = $2 AND record_type = $3 AND source_id = $4 AND version = $5`,
        [JSON.stringify(facts), r.site, r.record_type, r.source_id, r.version],
      );
    }
    return rows.length;
  });
}

/** How many records have no facts yet (sealed before the facts column; `keys rotate` fills them). */
export async function missingFacts(db: Db): Promise<number> {
  const { rows } = await sql(db).query('SELECT count(*)::int AS n FROM records WHERE facts IS NULL');
  return rows[0]?.n ?? 0;
}

/** How `sealedCounts` labels a master key id this process is not configured with. */
export const UNKNOWN_KEY_LABEL = ' (not configured)';

/**
 * How a column's values are held: counts by master key id, `plaintext` for rows not yet sealed, and
 * `<id> (not configured)` for rows under a key this process cannot open (they answer 503 when read).
 */
export async function sealedCounts(db: Db, c: SealedColumn): Promise<Record<string, number>> {
  const { rows } = await sql(db).query(
    `SELECT CASE WHEN ${c.column}->>'${SEALED_MARK}' IS NULL THEN 'plaintext' ELSE ${c.column}->>'kid' END AS kid,
            count(*)::int AS n
       FROM ${c.table} WHERE ${c.column} IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  const keys = vaultOf(db).keys;
  const label = (kid: string) =>
    kid === 'plaintext' || keys.hasKey(kid) ? kid : `${kid}${UNKNOWN_KEY_LABEL}`;
  return Object.fromEntries(rows.map((r) => [label(r.kid as string), r.n as number]));
}

/** How many rows of a column still need the active key (plaintext or another key). */
export async function pendingRotation(db: Db, c: SealedColumn): Promise<number> {
  const { rows } = await sql(db).query(
    `SELECT count(*)::int AS n FROM ${c.table} WHERE ${needsRotation(c)}`,
    [vaultOf(db).keys.activeKeyId],
  );
  return rows[0]?.n ?? 0;
}
