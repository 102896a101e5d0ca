// A transaction's BEGIN (and the lock taken with it) go in one round trip with its first statement,
// that statement's parameters written in as literals: the same answers as with real parameters for
// awkward values, one round trip fewer, and — each statement of a simple query having its own
// snapshot — a read after the lock still sees what the lock's previous holder committed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { sql } from '../../../src/store/pg.js';
import { createTestDb, type TestDb } from '../../support/db.js';

/** Counts the round trips (client.query calls) of every pg client while `fn` runs. */
async function roundTrips<T>(fn: () => Promise<T>): Promise<{ result: T; trips: string[] }> {
  const original = pg.Client.prototype.query;
  const trips: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    trips.push(typeof q === 'string' ? q : q.text);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await fn(), trips };
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

  const awkward: unknown[] = [
    "o'brien\\x $1 -- not a comment",
    -42.5,
    true,
    null,
    ['a"b', 'c\\d', null, "it's", '{x,y}', ''],
    [1, 2.5, -3],
    'ü€ 😀',
    '',
  ];
  const text = `SELECT $1::text AS s, $2::numeric AS n, $3::boolean AS b, $4::text AS z,
                       $5::text[] AS a, $6::numeric[] AS na, $7 AS u, $8 AS e,
                       '$1 in a string' AS lit, "k" AS quoted -- a comment's quote and $2
                  FROM (SELECT 1 AS "k") one /* $3 in a block comment */`;

  it('answers with the parameters written in exactly as with real parameters', async () => {
    const plain = (await t.sql.query(text, awkward)).rows;
    const { result, trips } = await roundTrips(() =>
      inTransaction(t.db, async (tx) => (await sql(tx).query(text, awkward)).rows),
    );
    expect(result).toEqual(plain);
    expect(plain[0].s).toBe(awkward[0]);
    expect(plain[0].a).toEqual(awkward[4]);
    // BEGIN with the statement, then COMMIT: two round trips.
    expect(trips).toHaveLength(2);
    expect(trips[0]).toMatch(/^BEGIN;\n/);
    expect(trips[0]).not.toContain('$5');
  });

  it('takes the lock with BEGIN and the statement in one round trip', async () => {
    const { result, trips } = await roundTrips(() =>
      inTransaction(
        t.db,
        async (tx) => {
          const one = await sql(tx).query<{ n: number }>('SELECT $1::int AS n', [7]);
          const two = await sql(tx).query<{ n: number }>('SELECT $1::int + 1 AS n', [7]);
          return [one.rows[0]?.n, two.rows[0]?.n];
        },
        { lockKey: 'first-statement|lock' },
      ),
    );
    expect(result).toEqual([7, 8]);
    expect(trips).toHaveLength(3);
    expect(trips[0]).toMatch(/^BEGIN;\nSELECT pg_advisory_xact_lock\(.*\);\nSELECT '7'::int AS n$/s);
  });

  it('sends a statement whose values have no literal form after BEGIN, with real parameters', async () => {
    const at = new Date('2026-03-02T09:00:00Z');
    const { result, trips } = await roundTrips(() =>
      inTransaction(t.db, async (tx) => (await sql(tx).query('SELECT $1::timestamptz AS at', [at])).rows),
    );
    expect(result[0]?.at).toEqual(at);
    expect(trips).toEqual(['BEGIN', 'SELECT $1::timestamptz AS at', 'COMMIT']);
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
    const { trips } = await roundTrips(() =>
      inTransaction(t.db, async () => {
        throw new Error('refused before any statement');
      }).catch(() => {}),
    );
    expect(trips).toEqual([]);
    // The pool's connections are usable (no transaction left open on them).
    expect((await t.sql.query('SELECT count(*)::int AS n FROM first_statement_test')).rows[0].n).toBe(1);
  });
});
