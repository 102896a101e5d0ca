// Partner circuit breakers in PostgreSQL (shared by every worker). Each change is one conditional
// statement, so concurrent workers agree: one opens it, one wins each trial.
import { inTransaction } from './db.js';
import { type Db, type Queryable, sql, type Tx } from './pg.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: Date | null;
  /** When the next trial may run (open or half-open). */
  probeAt: Date | null;
}

const CLOSED: Circuit = { state: 'closed', failures: 0, openedAt: null, probeAt: null };

const toCircuit = (r: Record<string, unknown>): Circuit => ({
  state: r.state as CircuitState,
  failures: r.failures as number,
  openedAt: (r.opened_at as Date | null) ?? null,
  probeAt: (r.probe_at as Date | null) ?? null,
});

export async function readCircuit(db: Queryable, partnerId: string): Promise<Circuit> {
  const { rows } = await sql(db).query('SELECT * FROM partner_circuits WHERE partner_id = $1', [partnerId]);
  return rows[0] ? toCircuit(rows[0]) : CLOSED;
}

export async function readCircuits(db: Queryable): Promise<Map<string, Circuit>> {
  const { rows } = await sql(db).query('SELECT * FROM partner_circuits');
  return new Map(rows.map((r) => [r.partner_id as string, toCircuit(r)]));
}

/**
 * A retryable failure: counted while closed, and the circuit opens at the threshold; a failure while
 * half-open (the trial) opens it again. Returns the circuit after the change.
 */
export async function recordCircuitFailure(
  db: Db,
  partnerId: string,
  policy: { failureThreshold: number; cooldownMs: number },
): Promise<Circuit & { opened: boolean }> {
  return inTransaction(db, async (tx) => {
    const before = await lockCircuit(tx, partnerId);
    const { rows } = await sql(tx).query(
      `UPDATE partner_circuits SET
         failures = failures + 1,
         state = CASE WHEN state = 'half-open' OR (state = 'closed' AND failures + 1 >= $2) THEN 'open' ELSE state END,
         opened_at = CASE WHEN state = 'closed' AND failures + 1 >= $2 THEN now() ELSE opened_at END,
         probe_at = CASE WHEN state = 'half-open' OR (state = 'closed' AND failures + 1 >= $2)
                         THEN now() + ($3::int * interval '1 millisecond') ELSE probe_at END,
         updated_at = now()
       WHERE partner_id = $1 RETURNING *`,
      [partnerId, policy.failureThreshold, policy.cooldownMs],
    );
    const after = toCircuit(rows[0]!);
    return { ...after, opened: after.state === 'open' && before !== 'open' };
  });
}

/** The circuit's row, created closed when absent, locked until the transaction ends; its state before. */
async function lockCircuit(tx: Tx, partnerId: string): Promise<CircuitState> {
  await sql(tx).query('INSERT INTO partner_circuits (partner_id) VALUES ($1) ON CONFLICT DO NOTHING', [
    partnerId,
  ]);
  const { rows } = await sql(tx).query(
    'SELECT state FROM partner_circuits WHERE partner_id = $1 FOR UPDATE',
    [partnerId],
  );
  return rows[0]!.state as CircuitState;
}

/** A delivery succeeded: the count restarts and an open or half-open circuit closes. True when it closed. */
export async function recordCircuitSuccess(db: Db, partnerId: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const before = await lockCircuit(tx, partnerId);
    await sql(tx).query(
      `UPDATE partner_circuits SET state = 'closed', failures = 0, probe_at = NULL, updated_at = now()
        WHERE partner_id = $1 AND (state <> 'closed' OR failures > 0)`,
      [partnerId],
    );
    return before !== 'closed';
  });
}

/**
 * Claims the next trial of an open (or half-open) circuit whose cool-down has passed: exactly one
 * caller wins; the circuit is half-open until the trial's outcome is recorded (or, if its worker
 * dies, until the next cool-down passes and another may try).
 */
export async function claimCircuitTrial(
  db: Queryable,
  partnerId: string,
  cooldownMs: number,
): Promise<boolean> {
  const { rowCount } = await sql(db).query(
    `UPDATE partner_circuits SET state = 'half-open', probe_at = now() + ($2::int * interval '1 millisecond'),
            updated_at = now()
      WHERE partner_id = $1 AND state IN ('open', 'half-open') AND probe_at <= now()`,
    [partnerId, cooldownMs],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Gives back a trial that was never run (its job was stale: the exchange had moved on), so that the
 * next delivery may be the trial now instead of after another cool-down.
 */
export async function releaseCircuitTrial(db: Queryable, partnerId: string): Promise<void> {
  await sql(db).query(
    `UPDATE partner_circuits SET probe_at = now(), updated_at = now()
      WHERE partner_id = $1 AND state = 'half-open'`,
    [partnerId],
  );
}
