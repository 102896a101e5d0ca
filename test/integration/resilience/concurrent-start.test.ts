// Processes starting at the same time all migrate on start-up (two `navbridge worker` processes, a
// worker and `serve`): a migration must wait for one already running, not fail the process.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/db.js';
import { TEST_DATABASE_URL } from '../../support/db.js';

const schemas = [0, 1].map(() => `t_${randomBytes(6).toString('hex')}`);

async function tablesIn(schema: string): Promise<number> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'exchanges'`,
      [schema],
    );
    return rows[0].n;
  } finally {
    await c.end();
  }
}

describe('concurrent start-up migrations', () => {
  afterAll(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.end();
  });

  it('several migrations at once, of one schema and of another, all succeed', async () => {
    const runs = await Promise.allSettled([
      migrate({ databaseUrl: TEST_DATABASE_URL, schema: schemas[0] }),
      migrate({ databaseUrl: TEST_DATABASE_URL, schema: schemas[0] }),
      migrate({ databaseUrl: TEST_DATABASE_URL, schema: schemas[0] }),
      migrate({ databaseUrl: TEST_DATABASE_URL, schema: schemas[1] }),
    ]);
    expect(runs.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    // The first run of a schema applied the migrations; the others found nothing left to do.
    const applied = runs.slice(0, 3).map((r) => (r.status === 'fulfilled' ? r.value.length : -1));
    expect(applied.filter((n) => n > 0)).toHaveLength(1);
    expect(await tablesIn(schemas[0]!)).toBe(1);
    expect(await tablesIn(schemas[1]!)).toBe(1);
  });
});
