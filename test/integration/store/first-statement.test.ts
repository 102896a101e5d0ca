// A transaction's BEGIN, and the advisory locks it asks for, go in one round trip with its next
// statement: the pool's connections are pipelined, so the statement is written behind them without
// waiting for their answer and keeps its prepared plan; PostgreSQL runs it once the locks are
// granted, so it still sees what the locks' previous holders committed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { advisoryLock, sql } from '../../../src/store/pg.js';
import { createTestDb, type TestDb } from '../../support/db.js';

interface Sent {
  text: string;
  /** Queries of the same connection written and not yet answered when this one was written. */
  unanswered: number;
}

/**
 * Every query pg clients write while `fn` runs, with how many of the same connection's queries were
 * still unanswered then (node-postgres's pipeline queue: `_activeQuery`, `_sentQueryQueue`).
 */
async function queriesOf<T>(fn: () => Promise<T>): Promise<{ result: T; sent: Sent[] }> {
  const original = pg.Client.prototype.query;
  const sent: Sent[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    const self = this as unknown as { _activeQuery?: unknown; _sentQueryQueue: unknown[] };
    sent.push({
      text: typeof q === 'string' ? q : q.text,
      unanswered: self._sentQueryQueue.length + (self._activeQuery ? 1 : 0),
    });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await fn(), sent };
  } finally {
    pg.Client.prototype.query = original;
  }
}

describe("a transaction's first statement", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
    await t.sql.query('CREATE TABLE first_statement_test (k text PRIMARY KEY, n int)');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is written behind BEGIN and its lock without waiting, prepared; the next waits for it', async () => {
    const { result, sent } = await queriesOf(() =>
      inTransaction(
        t.db,
        async (tx) => {
          const one = await sql(tx).query<{ n: number }>('SELECT $1::int AS n -- first', [7]);
          const two = await sql(tx).query<{ n: number }>('SELECT $1::int + 1 AS n -- second', [7]);
          return [one.rows[0]?.n, two.rows[0]?.n];
        },
        { lockKey: 'first-statement|lock' },
      ),
    );
    expect(result).toEqual([7, 8]);
    expect(sent.map((s) => s.text)).toEqual([
      "BEGIN;\nSELECT pg_advisory_xact_lock(hashtextextended('first-statement|lock', 0))",
      'SELECT $1::int AS n -- first',
      'SELECT $1::int + 1 AS n -- second',
      'COMMIT',
    ]);
    // The first statement went while BEGIN was unanswered (one round trip); the others one by one.
    expect(sent.map((s) => s.unanswered)).toEqual([0, 1, 0, 0]);
  });

  it('sends the locks asked for since the last statement with the next one, in order', async () => {
    const { sent } = await queriesOf(() =>
      inTransaction(t.db, async (tx) => {
        await sql(tx).query('SELECT $1::int AS n', [1]);
        await advisoryLock(tx, 'first-statement|b');
        await advisoryLock(tx, 'first-statement|a');
        await advisoryLock(tx, 'first-statement|b'); // held already: not asked again
        await sql(tx).query('SELECT $1::int AS n', [2]);
      }),
    );
    expect(sent.map((s) => s.text)).toEqual([
      'BEGIN',
      'SELECT $1::int AS n',
      "SELECT pg_advisory_xact_lock(hashtextextended('first-statement|b', 0));\nSELECT pg_advisory_xact_lock(hashtextextended('first-statement|a', 0))",
      'SELECT $1::int AS n',
      'COMMIT',
    ]);
    expect(sent.map((s) => s.unanswered)).toEqual([0, 1, 0, 1, 0]);
  });

  it('keeps the statement prepared on its connection', async () => {
    const text = 'SELECT $1::text AS s -- first-statement prepared';
    const held = await inTransaction(t.db, async (tx) => {
      await sql(tx).query(text, ['x']);
      const { rows } = await sql(tx).query<{ statement: string }>(
        'SELECT statement FROM pg_prepared_statements WHERE statement = $1',
        [text],
      );
      return rows.length;
    });
    expect(held).toBe(1);
  });

  it('sees what the lock’s previous holder committed, read in the round trip that takes the lock', async () => {
    const key = 'first-statement|snapshot';
    let release!: () => void;
    const holding = new Promise<void>((r) => {
      release = r;
    });
    let held!: () => void;
    const isHeld = new Promise<void>((r) => {
      held = r;
    });
    const first = inTransaction(
      t.db,
      async (tx) => {
        await sql(tx).query('INSERT INTO first_statement_test (k, n) VALUES ($1, $2)', ['a', 1]);
        held();
        await holding;
        await sql(tx).query('UPDATE first_statement_test SET n = $2 WHERE k = $1', ['a', 2]);
      },
      { lockKey: key },
    );
    await isHeld;
    // The second waits for the lock inside its first round trip; its read must see the commit.
    const second = inTransaction(
      t.db,
      async (tx) =>
        (await sql(tx).query<{ n: number }>('SELECT n FROM first_statement_test WHERE k = $1', ['a'])).rows,
      { lockKey: key },
    );
    await new Promise((r) => setTimeout(r, 50));
    release();
    await first;
    expect(await second).toEqual([{ n: 2 }]);
  });

  it('rolls back what the round trip began when its statement fails, and sends nothing when none runs', async () => {
    await expect(
      inTransaction(t.db, async (tx) => {
        await sql(tx).query('INSERT INTO first_statement_test (k, n) VALUES ($1, $2)', ['b', 'not a number']);
      }),
    ).rejects.toThrow(/invalid input syntax/);
    const { sent } = await queriesOf(() =>
      inTransaction(t.db, async () => {
        throw new Error('refused before any statement');
      }).catch(() => {}),
    );
    expect(sent).toEqual([]);
    // The pool's connections are usable (no transaction left open on them).
    expect((await t.sql.query('SELECT count(*)::int AS n FROM first_statement_test')).rows[0].n).toBe(1);
  });
});
