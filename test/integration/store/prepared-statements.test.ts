// Parameterised statements are prepared once per connection (PostgreSQL parses and plans them once),
// unless the database handle is opened without them (a pooler in transaction mode); a migration that
// changes what a prepared `SELECT *` returns costs one retryable error per connection, never a
// connection that keeps failing.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, inTransaction, openDb } from '../../../src/store/db.js';
import { sql, statementName } from '../../../src/store/pg.js';
import { getRecord, saveRecord } from '../../../src/store/records.js';
import {
  createTestDb,
  TEST_APP_ROLE,
  TEST_DATABASE_URL,
  type TestDb,
  testKeyProvider,
} from '../../support/db.js';

const record = (version: number) => ({
  site: 'leeds-north',
  recordType: 'event',
  sourceId: 'EV-1',
  version,
  referralId: 'REF-1',
  personId: null,
  payload: { id: 'EV-1', version, type: 'contact-attempted' },
});

/** The named statements the transaction's own connection holds (PostgreSQL's view of its session). */
async function preparedOnConnection(tx: Parameters<typeof sql>[0]): Promise<string[]> {
  const { rows } = await sql(tx).query<{ statement: string }>(
    'SELECT statement FROM pg_prepared_statements ORDER BY prepare_time',
  );
  return rows.map((r) => r.statement);
}

describe('prepared statements', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t.close();
  });
  /** Another handle on the suite's schema, as the application role. */
  const handle = (extra: { preparedStatements?: boolean; max?: number }) =>
    openDb({
      databaseUrl: TEST_DATABASE_URL,
      schema: t.schema,
      role: TEST_APP_ROLE,
      keys: testKeyProvider(),
      ...extra,
    });

  it('names each statement text once: the same text, the same name', () => {
    const text = 'SELECT $1::int AS n -- prepared-statements test';
    const name = statementName(text);
    expect(name).toMatch(/^nb_[0-9a-z]+$/);
    expect(statementName(text)).toBe(name);
    expect(statementName(`${text} 2`)).not.toBe(name);
  });

  it('prepares a parameterised statement once on a connection and runs it again by name', async () => {
    await inTransaction(t.db, async (tx) => {
      expect(await saveRecord(tx, record(1))).toBe('inserted');
      expect((await getRecord(tx, 'leeds-north', 'event', 'EV-1'))?.version).toBe(1);
      expect((await getRecord(tx, 'leeds-north', 'event', 'EV-1', 1))?.payload).toEqual(record(1).payload);
      const held = await preparedOnConnection(tx);
      // The record read ran twice (the latest, then version 1): one text, prepared once.
      const reads = held.filter((s) => s.includes('SELECT * FROM records WHERE site = $1'));
      expect(reads).toHaveLength(1);
      expect(held.some((s) => s.includes('INSERT INTO records'))).toBe(true);
      // Parameterless statements (BEGIN with its lock, COMMIT with the audit row) are never prepared.
      expect(held.some((s) => /pg_advisory_xact_lock|COMMIT/.test(s))).toBe(false);
    });
  });

  it('prepares nothing when the handle is opened without prepared statements', async () => {
    const plain = handle({ preparedStatements: false });
    try {
      await inTransaction(plain, async (tx) => {
        expect((await getRecord(tx, 'leeds-north', 'event', 'EV-1'))?.version).toBe(1);
        expect(await saveRecord(tx, record(2))).toBe('inserted');
        expect(await preparedOnConnection(tx)).toEqual([]);
      });
    } finally {
      await closeDb(plain);
    }
  });

  it('recovers when a migration changes the columns a prepared SELECT * returns', async () => {
    // One connection, so the statement prepared before the change is the one met after it.
    const one = handle({ max: 1 });
    const owner = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${t.schema}`,
    });
    await owner.connect();
    try {
      expect((await getRecord(one, 'leeds-north', 'event', 'EV-1'))?.version).toBe(2);
      await inTransaction(one, async (tx) => {
        expect((await getRecord(tx, 'leeds-north', 'event', 'EV-1', 1))?.version).toBe(1);
      });
      await owner.query('ALTER TABLE records ADD COLUMN prepared_test_extra int');

      // Outside a transaction: one retryable refusal, then the pool's next connection prepares afresh.
      await expect(getRecord(one, 'leeds-north', 'event', 'EV-1')).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
      });
      expect((await getRecord(one, 'leeds-north', 'event', 'EV-1'))?.version).toBe(2);

      // Inside a transaction: the same, and the connection is not given back to the pool.
      await owner.query('ALTER TABLE records DROP COLUMN prepared_test_extra');
      await expect(
        inTransaction(one, (tx) => getRecord(tx, 'leeds-north', 'event', 'EV-1', 1)),
      ).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      await inTransaction(one, async (tx) => {
        expect((await getRecord(tx, 'leeds-north', 'event', 'EV-1', 1))?.version).toBe(1);
        expect(await saveRecord(tx, record(3))).toBe('inserted');
      });
      expect((await getRecord(one, 'leeds-north', 'event', 'EV-1'))?.version).toBe(3);
    } finally {
      await owner.end();
      await closeDb(one);
    }
  });
});
