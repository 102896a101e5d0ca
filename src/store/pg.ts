// The PostgreSQL handles behind the store's opaque `Db` and `Tx` (internal to src/store: the layering
// rules forbid importing this module from anywhere else, so no other layer can reach a raw client).
import pg from 'pg';
import { unavailable } from '../errors/index.js';
import type { Vault } from './sealing.js';

const { escapeLiteral } = pg;

/** The database as the layers above the store hold it: opaque, passed back to store functions. */
export interface Db {
  readonly kind: 'navbridge-db';
}
/** A transaction in progress (from `inTransaction`): opaque above the store. */
export interface Tx {
  readonly kind: 'navbridge-tx';
}
/** What read functions take: the database, or a transaction when the read must see its writes. */
export type Queryable = Db | Tx;

export class PgDb implements Db {
  readonly kind = 'navbridge-db' as const;
  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    readonly vault: Vault,
    /** Parameterised statements are prepared once per connection (`sql`): see `statementName`. */
    readonly prepared: boolean = true,
  ) {}
}

export class PgTx implements Tx {
  readonly kind = 'navbridge-tx' as const;
  /**
   * Parameterless statements sent with COMMIT in one round trip (simple query protocol: they run in
   * order inside the transaction, and COMMIT is not reached when one fails). See `atCommit`.
   */
  readonly beforeCommit: string[] = [];
  /**
   * Parameterless statements not sent yet — BEGIN, and the advisory locks asked for since the last
   * statement (`inTransaction`, `advisoryLock`): they go in one round trip with the transaction's next
   * statement (`sql`, pipelined), or with COMMIT when there is none.
   */
  readonly ahead: string[] = [];
  /** Advisory lock keys this transaction holds (`advisoryLock`): taking one again costs no round trip. */
  readonly locks = new Set<string>();
  /** A statement met a prepared plan a migration outdated: the connection must not go back to the pool. */
  stalePlan = false;
  constructor(
    readonly client: pg.PoolClient,
    readonly vault: Vault,
    readonly prepared: boolean = true,
  ) {}
}

/**
 * Runs a statement as the transaction's last, sent together with COMMIT (one round trip fewer; a
 * statement that takes a lock held to commit — the audit chain's head — holds it for that trip only).
 * Its values must already be literals (`literal`): the simple query protocol has no parameters.
 */
export function atCommit(tx: Tx, text: string): void {
  if (!(tx instanceof PgTx)) throw new TypeError('not a navbridge transaction');
  tx.beforeCommit.push(text);
}

/**
 * Takes the transaction-scoped advisory lock of `key` (`pg_advisory_xact_lock(hashtextextended(key, 0))`),
 * held until the transaction ends, from the transaction's next statement on (sent with it).
 * PostgreSQL grants a lock the session already holds at once, so a key this transaction took before
 * (here, or with BEGIN) is not asked for again.
 */
export async function advisoryLock(tx: Tx, key: string): Promise<void> {
  if (!(tx instanceof PgTx)) throw new TypeError('not a navbridge transaction');
  if (tx.locks.has(key)) return;
  // Asked for with the transaction's next statement, in the same round trip (`withAhead`): nothing
  // the caller does before that statement needs the lock, and the statement runs once it is granted.
  tx.ahead.push(advisoryLockSql(key));
  tx.locks.add(key);
}

/** The statement that takes `key`'s transaction-scoped advisory lock (also sent with BEGIN: db.ts). */
export const advisoryLockSql = (key: string): string =>
  `SELECT pg_advisory_xact_lock(hashtextextended(${literal(key)}, 0))`;

/** A value as an SQL literal (pg's own escaping: quotes doubled, E'' when it holds backslashes). */
export function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('not a finite number');
    return String(value);
  }
  return escapeLiteral(value);
}

/** The vault that seals and opens patient data for this database handle. */
export function vaultOf(x: Queryable): Vault {
  if (x instanceof PgDb || x instanceof PgTx) return x.vault;
  throw new TypeError('not a navbridge database handle');
}

/** SQLSTATE classes and codes of a lost or refused connection (PostgreSQL restarting, shutting down, full). */
const CONNECTION_STATES = /^(08...|57P0[123]|53300)$/;
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i;

/** Whether an error means PostgreSQL could not be reached (so: try again), not that a statement failed. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && (CONNECTION_STATES.test(e.code) || CONNECTION_CODES.has(e.code)))
    return true;
  return typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

/**
 * Whether a prepared statement no longer fits its table: PostgreSQL re-plans a prepared statement
 * after DDL by itself, but refuses one whose result columns changed (a migration added a column that
 * `SELECT *` or `RETURNING *` returns) with SQLSTATE 0A000 until the connection is gone. The
 * connection is then dropped (`inTransaction`, and pg-pool for every failed pool query) and the
 * caller told to try again, on a connection that prepares the statement afresh.
 */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' &&
    typeof e.message === 'string' &&
    /cached plan must not change result type/.test(e.message)
  );
}

/**
 * A lost connection, or a prepared statement a migration outdated, becomes SERVICE_UNAVAILABLE
 * (retryable, 503 to callers); other errors pass through.
 */
export function storeError(err: unknown): unknown {
  if (isStalePlan(err)) return unavailable('the database schema changed under this process; try again');
  return isConnectionError(err) ? unavailable('the database is unavailable; try again shortly') : err;
}

/** What store functions query through: a statement's connection failure is reported as unavailable. */
export interface Sql {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** How many distinct statement texts get a name; any beyond are sent unnamed (parsed every time). */
export const PREPARED_STATEMENTS_MAX = 1_000;
const statementNames = new Map<string, string>();

/**
 * The name a parameterised statement is prepared under: the same text always gets the same name in
 * this process (pg prepares it once per connection, then sends only its parameters: PostgreSQL
 * neither parses nor plans it again). Texts beyond PREPARED_STATEMENTS_MAX, which only statements
 * built with values in their text could reach, are not named.
 */
export function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PREPARED_STATEMENTS_MAX) {
    name = `nb_${statementNames.size.toString(36)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pg pool or client behind a handle. */
export function sql(x: Queryable): Sql {
  const raw: pg.Pool | pg.PoolClient | undefined =
    x instanceof PgDb ? x.pool : x instanceof PgTx ? x.client : undefined;
  if (!raw) throw new TypeError('not a navbridge database handle');
  const prepared = (x as PgDb | PgTx).prepared;
  return {
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
      if (x instanceof PgTx && x.ahead.length > 0) return withAhead<R>(x, text, values);
      // Statements without parameters may be several in one text (simple query protocol): never named.
      const name = prepared && values !== undefined && values.length > 0 ? statementName(text) : undefined;
      const run = name === undefined ? raw.query<R>(text, values) : raw.query<R>({ name, text, values });
      return (run as Promise<pg.QueryResult<R>>).catch((err: unknown) => {
        if (x instanceof PgTx && isStalePlan(err)) x.stalePlan = true;
        throw storeError(err);
      });
    },
  };
}

/**
 * The next statement of a transaction, sent right behind the statements waiting for it (BEGIN, and
 * locks) without waiting for their answer: the pool's connections are pipelined (`openDb`), so both
 * go in one round trip and the statement keeps its prepared plan. PostgreSQL runs them in order, the
 * statement with a snapshot taken after the locks were granted, so it sees everything their previous
 * holders committed.
 */
async function withAhead<R extends pg.QueryResultRow>(
  tx: PgTx,
  text: string,
  values: unknown[] | undefined,
): Promise<pg.QueryResult<R>> {
  const ahead = tx.client.query(tx.ahead.splice(0).join(';\n')).catch((err: unknown) => {
    throw storeError(err);
  });
  const [, result] = await inOrder([ahead, sql(tx).query<R>(text, values)]);
  return result;
}

/**
 * Waits for statements written one behind the other and answers their results, or throws the first
 * failure: a statement behind a failed one fails only because the failure aborted the transaction.
 */
async function inOrder<T extends readonly unknown[]>(runs: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(runs);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Several statements of a transaction in one round trip (pipelined: `openDb`), each prepared as
 * `sql` prepares it, run in order; their results, or the first failure (see `inOrder`). For
 * statements that do not need each other's answers.
 */
export function queryInOrder(
  tx: Tx,
  statements: readonly { text: string; values?: unknown[] }[],
): Promise<pg.QueryResult[]> {
  if (!(tx instanceof PgTx)) throw new TypeError('not a navbridge transaction');
  return inOrder(statements.map((st) => sql(tx).query(st.text, st.values)));
}

/** The client of a transaction (statements that must run inside one, e.g. advisory xact locks). */
export function txClient(tx: Tx): pg.PoolClient {
  if (tx instanceof PgTx) return tx.client;
  throw new TypeError('not a navbridge transaction');
}
