// PostgreSQL connection pool, transactions and migrations. The only module that opens database
// connections; the handles it gives out (`Db`, `Tx`) are opaque to the layers above.
import { readdirSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { advisoryLockSql, type Db, isStalePlan, PgDb, PgTx, storeError, type Tx } from './pg.js';
import { type KeyProvider, Vault } from './sealing.js';

export type { Db, Queryable, Tx } from './pg.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface DbOptions {
  databaseUrl?: string;
  /** PostgreSQL schema holding navbridge's tables (tests use one schema per suite). */
  schema?: string;
  /** Pool size (connections). */
  max?: number;
  /** How long a checkout waits for a free connection before failing as SERVICE_UNAVAILABLE. */
  checkoutTimeoutMs?: number;
  /**
   * The least-privilege application role the connections act as (`SET ROLE` at connection start):
   * it may not alter, truncate, update or delete the audit log. Created by the migrations.
   */
  role?: string;
  /**
   * Prepare each parameterised statement once per connection (default true). Off for a connection
   * pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or with
   * `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
}

/** The application role the migrations create (cluster-wide) when none is named. */
export const DEFAULT_APP_ROLE = 'navbridge_app';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: must match ${SCHEMA_NAME}`);
}

function assertRoleName(role: string): void {
  if (!SCHEMA_NAME.test(role)) throw new Error(`invalid role name: must match ${SCHEMA_NAME}`);
}

/** A connection failure is reported by the query that meets it; an idle client's must not crash us. */
const ignore = (): void => {};

export interface OpenDbOptions extends DbOptions {
  /** The master keys that seal patient data at rest (store/sealing.ts). */
  keys: KeyProvider;
}

export function openDb(opts: OpenDbOptions): Db {
  const schema = opts.schema ?? 'public';
  assertSchemaName(schema);
  if (opts.role !== undefined) assertRoleName(opts.role);
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl ?? DEFAULT_DATABASE_URL,
    max: opts.max ?? 10,
    options: `-c search_path=${schema}${opts.role !== undefined ? ` -c role=${opts.role}` : ''}`,
    connectionTimeoutMillis: opts.checkoutTimeoutMs ?? 5_000,
    // A query is written without waiting for the answers to those before it (node-postgres's
    // pipeline mode): a transaction's BEGIN and locks go with its next statement in one round trip.
    pipeline: true,
  });
  pool.on('error', ignore);
  return new PgDb(pool, schema, new Vault(opts.keys), opts.preparedStatements ?? true);
}

export async function closeDb(db: Db): Promise<void> {
  if (db instanceof PgDb) await db.pool.end();
}

/** Whether PostgreSQL answers (within `timeoutMs`, when given). */
export async function pingDb(db: Db, timeoutMs?: number): Promise<boolean> {
  if (!(db instanceof PgDb)) return false;
  const ping = db.pool.query('SELECT 1').then(
    () => true,
    () => false,
  );
  if (timeoutMs === undefined) return ping;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  return Promise.race([ping, late]).finally(() => clearTimeout(timer));
}

/**
 * Applies pending migrations. Processes starting together (two workers, a worker and `serve`) all
 * migrate on start-up: node-pg-migrate's own lock is one key for the whole database and fails at once
 * when taken, so we wait on a lock of our own per schema instead. Migrations run as the connection's
 * user — the owner role (`MIGRATION_DATABASE_URL`) — and create the application role `opts.role`.
 */
export async function migrate(opts: DbOptions = {}): Promise<string[]> {
  const schema = opts.schema ?? 'public';
  assertSchemaName(schema);
  const role = opts.role ?? DEFAULT_APP_ROLE;
  assertRoleName(role);
  const client = new pg.Client({ connectionString: opts.databaseUrl ?? DEFAULT_DATABASE_URL });
  client.on('error', ignore);
  await client.connect();
  try {
    await client.query("SELECT set_config('navbridge.app_role', $1, false)", [role]);
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

/** The migrations this build ships (file names without extension), oldest first. */
let shipped: string[] | undefined;
function shippedMigrations(): string[] {
  shipped ??= readdirSync(MIGRATIONS_DIR)
    .filter((f) => /\.(c|m)?js$/.test(f))
    .map((f) => parse(f).name)
    .sort();
  return shipped;
}

/**
 * The shipped migrations not applied to the schema (readiness: a process whose schema is behind its
 * code is not ready). Rejects when PostgreSQL does not answer.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  if (!(db instanceof PgDb)) throw new TypeError('not a navbridge database handle');
  const { rows } = await db.pool.query<{ name: string }>(
    `SELECT name FROM ${db.schema}.navbridge_migrations`,
  );
  const applied = new Set(rows.map((r) => r.name));
  return shippedMigrations().filter((m) => !applied.has(m));
}

export interface TransactionOptions {
  /**
   * An advisory lock key (`pg_advisory_xact_lock(hashtextextended(key, 0))`) taken first, sent with
   * BEGIN and the transaction's first statement in one round trip: its statements all run under it.
   */
  lockKey?: string;
}

/** Runs fn in one transaction; rolls back on any error. */
export async function inTransaction<T>(
  db: Db,
  fn: (tx: Tx) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  if (!(db instanceof PgDb)) throw new TypeError('not a navbridge database handle');
  const client = await db.pool.connect().catch((err: unknown) => {
    throw storeError(err);
  });
  // A connection lost while checked out emits 'error' on the client: the statement fails instead,
  // and the broken client is destroyed rather than returned to the pool.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  const tx = new PgTx(client, db.vault, db.prepared);
  try {
    // BEGIN (and the lock) go with the transaction's first statement, in one round trip (`sql`).
    tx.ahead.push('BEGIN');
    if (opts.lockKey !== undefined) {
      tx.ahead.push(advisoryLockSql(opts.lockKey));
      tx.locks.add(opts.lockKey);
    }
    const result = await fn(tx);
    await client.query([...tx.ahead.splice(0), ...tx.beforeCommit, 'COMMIT'].join(';\n'));
    return result;
  } catch (err) {
    // Nothing to roll back when BEGIN was never sent.
    if (tx.ahead.length === 0) await client.query('ROLLBACK').catch(ignore);
    // A connection whose prepared statements a migration outdated is not given back to the pool.
    if (tx.stalePlan || isStalePlan(err)) broken ??= new Error('prepared statement outdated by a migration');
    throw storeError(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
