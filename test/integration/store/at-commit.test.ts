// Statements sent with BEGIN and COMMIT (one round trip each): the lock taken with BEGIN is held by
// the transaction, an audit row sent with COMMIT is written exactly as `audit` writes it (text with
// quotes, backslashes and JSON included), and never when the transaction does not commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, auditAtCommit, verifyAuditChain } from '../../../src/store/audit.js';
import { inTransaction } from '../../../src/store/db.js';
import { advisoryLock, sql } from '../../../src/store/pg.js';
import { createTestDb, type TestDb } from '../../support/db.js';

const awkward = {
  actor: "site:o'brien\\x",
  action: 'write-record',
  targetType: 'referral',
  targetId: "leeds-north/REF-'1'\\n",
  sourceAddress: '2001:db8::1',
  detail: { quote: "it's", backslash: 'a\\b', json: '{"x":1}', unicode: 'ü€', n: 3, list: ['a', null] },
};

describe('statements sent with BEGIN and COMMIT', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t.close();
  });

  const rowsOf = async (action: string) =>
    (
      await t.sql.query(
        `SELECT actor, target_type, target_id, outcome, source_address, detail FROM audit_log
          WHERE action = $1 ORDER BY seq`,
        [action],
      )
    ).rows;

  it('writes the audit row sent with COMMIT exactly as audit() does, in the chain', async () => {
    await audit(t.db, { ...awkward, action: 'plain' });
    await inTransaction(t.db, async (tx) => {
      auditAtCommit(tx, { ...awkward, action: 'at-commit' });
    });
    const [plain] = await rowsOf('plain');
    const [atCommit] = await rowsOf('at-commit');
    expect(plain).toEqual({
      actor: awkward.actor,
      target_type: 'referral',
      target_id: awkward.targetId,
      outcome: 'success',
      source_address: '2001:db8::1',
      detail: awkward.detail,
    });
    expect(atCommit).toEqual(plain);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });

  it('writes nothing when the transaction fails, and rolls back the rest when the audit row fails', async () => {
    await expect(
      inTransaction(t.db, async (tx) => {
        auditAtCommit(tx, { ...awkward, action: 'never' });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await rowsOf('never')).toEqual([]);

    await expect(
      inTransaction(t.db, async (tx) => {
        await audit(tx, { ...awkward, action: 'before-bad' });
        // An outcome the table's CHECK refuses: the statement fails, COMMIT is never reached.
        auditAtCommit(tx, { ...awkward, action: 'bad', outcome: 'bogus' as 'success' });
      }),
    ).rejects.toThrow(/audit_log_outcome|check constraint/);
    expect(await rowsOf('before-bad')).toEqual([]);
    expect(await rowsOf('bad')).toEqual([]);
  });

  it('holds the lock taken with BEGIN from the first statement until the transaction ends', async () => {
    const key = "seq|partner-'a'|person-1";
    const tryLock = async () => {
      const c = await t.sql.connect();
      try {
        await c.query('BEGIN');
        const { rows } = await c.query('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok', [
          key,
        ]);
        await c.query('ROLLBACK');
        return rows[0].ok as boolean;
      } finally {
        c.release();
      }
    };
    // BEGIN and the lock go with the transaction's first statement (one round trip).
    const seen = await inTransaction(
      t.db,
      async (tx) => {
        await sql(tx).query('SELECT 1');
        return tryLock();
      },
      { lockKey: key },
    );
    expect(seen).toBe(false);
    expect(await tryLock()).toBe(true);
    // Taken with BEGIN, then again by a store function (it asks PostgreSQL only once): still held.
    // (A lock asked for goes with the transaction's next statement.)
    const again = await inTransaction(
      t.db,
      async (tx) => {
        await advisoryLock(tx, key);
        await advisoryLock(tx, 'another|key');
        await sql(tx).query('SELECT 1');
        return tryLock();
      },
      { lockKey: key },
    );
    expect(again).toBe(false);
    expect(await tryLock()).toBe(true);
  });
});
