// A fresh PostgreSQL schema per test suite on the real server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db, migrate } from '../../src/store/db.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  schema: string;
  close(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await migrate({ databaseUrl: TEST_DATABASE_URL, schema });
  const db = createDb({ databaseUrl: TEST_DATABASE_URL, schema });
  return {
    db,
    schema,
    async close() {
      await db.end();
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
