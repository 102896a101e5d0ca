// The PostgreSQL handles behind the store's opaque `Db` and `Tx` (internal to src/store: the layering
// rules forbid importing this module from anywhere else, so no other layer can reach a raw client).
import type pg from 'pg';

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
  ) {}
}

export class PgTx implements Tx {
  readonly kind = 'navbridge-tx' as const;
  constructor(readonly client: pg.PoolClient) {}
}

/** The pg pool or client behind a handle. */
export function sql(x: Queryable): pg.Pool | pg.PoolClient {
  if (x instanceof PgDb) return x.pool;
  if (x instanceof PgTx) return x.client;
  throw new TypeError('not a navbridge database handle');
}

/** The client of a transaction (statements that must run inside one, e.g. advisory xact locks). */
export function txClient(tx: Tx): pg.PoolClient {
  if (tx instanceof PgTx) return tx.client;
  throw new TypeError('not a navbridge transaction');
}
