// A fresh PostgreSQL schema per test suite on the real server, dropped afterwards. `db` is the store's
// opaque handle (what the service holds); `sql` is a plain pg pool on the same schema, for a test's
// own setup and assertions.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { closeDb, type Db, migrate, openDb } from '../../src/store/db.js';
import { type KeyProvider, localKeyProvider, Vault } from '../../src/store/sealing.js';

/** The master key tests seal with (base64 of 32 bytes), as NAVBRIDGE_MASTER_KEYS gives it: `test-1:<this>`. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_MASTER_KEYS = `test-1:${TEST_MASTER_KEY}`;
export const testKeyProvider = (): KeyProvider =>
  localKeyProvider({ 'test-1': Buffer.from(TEST_MASTER_KEY, 'base64') }, 'test-1');

/**
 * Opens a value a test read with its own SQL (`records.payload`, `exchanges.payload`, …): what navbridge
 * sealed with the test key, or plaintext written before sealing.
 */
export function unseal<T = unknown>(stored: unknown, context: string): Promise<T> {
  return new Vault(testKeyProvider()).open<T>(stored, context);
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The least-privilege role the store's connections act as (created by the migrations). */
export const TEST_APP_ROLE = 'navbridge_app';

export interface TestDb {
  db: Db;
  sql: pg.Pool;
  schema: string;
  close(): Promise<void>;
}

export async function createTestDb(
  url: string = TEST_DATABASE_URL,
  keys: KeyProvider = testKeyProvider(),
): Promise<TestDb> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await migrate({ databaseUrl: url, schema });
  const db = openDb({ databaseUrl: url, schema, role: TEST_APP_ROLE, keys });
  const sql = new pg.Pool({
    connectionString: url,
    options: `-c search_path=${schema}`,
    max: 4,
  });
  sql.on('error', () => {});
  return {
    db,
    sql,
    schema,
    async close() {
      await closeDb(db);
      await sql.end();
      const admin = new pg.Client({ connectionString: url });
      admin.on('error', () => {});
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * Applies the migrations that come before `migration` (a file name in migrations/) to a new `schema`:
 * a store as an older release left it, for upgrade tests.
 */
export async function migrateBefore(
  schema: string,
  migration: string,
  url = TEST_DATABASE_URL,
): Promise<void> {
  const names = readdirSync('migrations')
    .filter((f) => f.endsWith('.js'))
    .sort((a, b) => Number(a.split('_')[0]) - Number(b.split('_')[0]));
  const count = names.indexOf(migration);
  if (count < 0) throw new Error(`no migration ${migration}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await runner({
      dbClient: client,
      dir: 'migrations',
      direction: 'up',
      count,
      migrationsTable: 'navbridge_migrations',
      schema,
      createSchema: true,
      checkOrder: true,
      log: () => {},
    });
  } finally {
    await client.end();
  }
}
