// The audit trail's integrity: every row hash-chained in the database (concurrent writers cannot fork
// the chain), tampering by a superuser is detected and the first broken row named, and the
// application role cannot change, erase or unprotect the table.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, verifyAuditChain } from '../../../src/store/audit.js';
import { inTransaction } from '../../../src/store/db.js';
import { createTestDb, TEST_APP_ROLE, TEST_DATABASE_URL, type TestDb } from '../../support/db.js';

const entry = (i: number) => ({
  actor: `partner:p${i % 3}`,
  action: 'read',
  targetType: 'Task',
  targetId: `task-${i}`,
  sourceAddress: '192.0.2.7',
  detail: { n: i },
});

async function withChain(n: number): Promise<TestDb> {
  const t = await createTestDb();
  for (let i = 0; i < n; i++) await audit(t.db, entry(i));
  return t;
}

/** As the superuser: switch off the append-only trigger, run the tampering, switch it on again. */
async function tamper(t: TestDb, statement: string): Promise<void> {
  await t.sql.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
  await t.sql.query(statement);
  await t.sql.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
}

describe('audit hash chain', () => {
  const open: TestDb[] = [];
  afterAll(async () => {
    for (const t of open) await t.close();
  });
  const chain = async (n: number) => {
    const t = await withChain(n);
    open.push(t);
    return t;
  };

  it('chains every row to the previous one and verifies', async () => {
    const t = await chain(5);
    const { rows } = await t.sql.query(
      'SELECT seq, encode(prev_hash, $1) AS prev, encode(hash, $1) AS hash FROM audit_log ORDER BY seq',
      ['hex'],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev).toBe(rows[i - 1].hash);
    const v = await verifyAuditChain(t.db);
    expect(v).toMatchObject({ ok: true, rows: 5 });
  });

  it('keeps one unbroken chain under concurrent writers (no fork, no gap)', async () => {
    const t = await chain(0);
    // 8 writers × 25 transactions of 2 rows each, all at once.
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++)
            await inTransaction(t.db, async (tx) => {
              await audit(tx, entry(w * 100 + i));
              await audit(tx, entry(w * 100 + i + 50));
            });
        })(),
      ),
    );
    const { rows } = await t.sql.query(
      'SELECT count(*)::int AS n, count(DISTINCT prev_hash)::int AS links, max(seq)::int AS top FROM audit_log',
    );
    expect(rows[0]).toEqual({ n: 400, links: 400, top: 400 });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, rows: 400 });
  });

  it('names the first row whose content was changed', async () => {
    const t = await chain(6);
    await tamper(t, `UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = 3`);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: false, rows: 2, brokenAt: 3, problem: 'hash' });
  });

  it('detects a changed row whose hash was recomputed (the next row no longer links to it)', async () => {
    const t = await chain(6);
    await tamper(
      t,
      `UPDATE audit_log SET detail = '{"n": 99}',
         hash = sha256(convert_to(audit_canonical(seq, prev_hash, at, actor, action, target_type, target_id,
           outcome, source_address, '{"n": 99}'::jsonb), 'UTF8'))
       WHERE seq = 4`,
    );
    expect(await verifyAuditChain(t.db)).toEqual({ ok: false, rows: 4, brokenAt: 5, problem: 'link' });
  });

  it('detects a deleted row in the middle and at the end', async () => {
    const t = await chain(6);
    await tamper(t, 'DELETE FROM audit_log WHERE seq = 2');
    expect(await verifyAuditChain(t.db)).toEqual({ ok: false, rows: 1, brokenAt: 2, problem: 'gap' });
    const u = await chain(6);
    await tamper(u, 'DELETE FROM audit_log WHERE seq = 6');
    expect(await verifyAuditChain(u.db)).toEqual({ ok: false, rows: 5, brokenAt: 6, problem: 'head' });
  });
});

describe('the application role and the audit table', () => {
  let t: TestDb;
  let app: pg.Client;
  beforeAll(async () => {
    t = await withChain(3);
    app = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${t.schema} -c role=${TEST_APP_ROLE}`,
    });
    app.on('error', () => {});
    await app.connect();
  });
  afterAll(async () => {
    await app.end();
    await t.close();
  });

  it('connects as the application role, which is no superuser and owns nothing', async () => {
    const { rows } = await app.query(
      `SELECT current_user AS who, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = $1 AND tableowner = current_user) AS owned`,
      [t.schema],
    );
    expect(rows[0]).toEqual({ who: TEST_APP_ROLE, su: false, owned: 0 });
  });

  it('may append and read', async () => {
    await app.query(`INSERT INTO audit_log (actor, action, target_type) VALUES ('worker', 'probe', 'test')`);
    const { rows } = await app.query('SELECT max(seq)::int AS top FROM audit_log');
    expect(rows[0].top).toBe(4);
  });

  it.each([
    ['DELETE', 'DELETE FROM audit_log'],
    ['UPDATE', `UPDATE audit_log SET actor = 'x'`],
    ['TRUNCATE', 'TRUNCATE audit_log'],
    ['ALTER TABLE', 'ALTER TABLE audit_log ADD COLUMN note text'],
    ['DISABLE TRIGGER', 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update'],
    ['DROP TRIGGER (append-only)', 'DROP TRIGGER audit_log_no_update ON audit_log'],
    ['DROP TRIGGER (chain)', 'DROP TRIGGER audit_log_chain ON audit_log'],
    ['DROP TABLE', 'DROP TABLE audit_log'],
    ['move the chain head', 'UPDATE audit_chain SET seq = 0'],
    [
      'replace the hash function',
      `CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
    ],
    ['record a migration', `INSERT INTO navbridge_migrations (name, run_on) VALUES ('x', now())`],
  ])('refuses %s', async (_what, statement) => {
    await expect(app.query(statement)).rejects.toThrow(/permission denied|must be owner|append-only/);
  });

  it('leaves the chain intact after every refused attempt', async () => {
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, rows: 4 });
  });
});
