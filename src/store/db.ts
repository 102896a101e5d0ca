// PostgreSQL connection pool and migrations. The only module that opens database connections.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface DbOptions {
  databaseUrl?: string;
  /** PostgreSQL schema holding navbridge's tables (tests use one schema per suite). */
  schema?: string;
  max?: number;
}

export type Db = pg.Pool;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: must match ${SCHEMA_NAME}`);
}

export function createDb(opts: DbOptions = {}): Db {
  const schema = opts.schema ?? 'public';
  assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl ?? DEFAULT_DATABASE_URL,
    max: opts.max ?? 10,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/**
 * Applies pending migrations. Processes starting together (two workers, a worker and `serve`) all
 * migrate on start-up: node-pg-migrate's own lock is one key for the whole database and fails at once
 * when taken, so we wait on a lock of our own per schema instead.
 */
export async function migrate(opts: DbOptions = {}): Promise<string[]> {
  const schema = opts.schema ?? 'public';
  assertSchemaName(schema);
  const client = new pg.Client({ connectionString: opts.databaseUrl ?? DEFAULT_DATABASE_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`navbridge-migrate|${schema}`]);
    const ran = await runner({
      dbClient: client,
      noLock: true,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'navbridge_migrations',
      schema,
      createSchema: true,
      checkOrder: true,
      log: () => {},
    });
    return ran.map((m) => m.name);
  } finally {
    // Ending the session releases the advisory lock.
    await client.end();
  }
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A client inside a transaction, for callers above the store that must not import pg themselves. */
export type DbClient = pg.PoolClient;
