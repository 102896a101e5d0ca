import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/db.js';
import { createTestDb, TEST_DATABASE_URL, type TestDb } from '../../support/db.js';

describe('migrations', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  it('creates the message store tables', async () => {
    const { rows } = await t.sql.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [t.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'audit_log',
        'exchange_attempts',
        'exchanges',
        'persons',
        'records',
        'referrals',
      ]),
    );
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await migrate({ databaseUrl: TEST_DATABASE_URL, schema: t.schema })).toEqual([]);
  });

  it('keeps the audit log append-only', async () => {
    await t.sql.query(
      `INSERT INTO audit_log (actor, action, target_type) VALUES ('admin', 'view', 'exchange')`,
    );
    await expect(t.sql.query(`UPDATE audit_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
    await expect(t.sql.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });
});
