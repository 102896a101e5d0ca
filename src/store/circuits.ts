// Partner circuit breakers in PostgreSQL (shared by every worker). Each change is one conditional
// statement, so concurrent workers agree: one opens it, one wins each trial.
import { type Queryable, sql } from './pg.js';

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
  db: Queryable,
  partnerId: string,
  policy: { failureThreshold: number; cooldownMs: number },
): Promise<Circuit & { opened: boolean }> {
  const { rows } = await sql(db).query(
    `WITH before AS (SELECT state FROM partner_circuits WHERE partner_id = $1 FOR UPDATE)
     INSERT INTO partner_circuits AS c (partner_id, state, failures, opened_at, probe_at)
       VALUES ($1, CASE WHEN $2 <= 1 THEN 'open' ELSE 'closed' END, 1,
               CASE WHEN $2 <= 1 THEN now() END,
               CASE WHEN $2 <= 1 THEN now() + ($3::int * interval '1 millisecond') END)
     ON CONFLICT (partner_id) DO UPDATE SET
       failures = c.failures + 1,
       state = CASE WHEN c.state = 'half-open' OR (c.state = 'closed' AND c.failures + 1 >= $2) THEN 'open'
                    ELSE c.state END,
       opened_at = CASE WHEN c.state = 'closed' AND c.failures + 1 >= $2 THEN now() ELSE c.opened_at END,
       probe_at = CASE WHEN c.state = 'half-open' OR (c.state = 'closed' AND c.failures + 1 >= $2)
                       THEN now() + ($3::int * interval '1 millisecond') ELSE c.probe_at END,
       updated_at = now()
     RETURNING c.*, (SELECT state FROM before) AS before`,
    [partnerId, policy.failureThreshold, policy.cooldownMs],
  );
  const row = rows[0]!;
  return { ...toCircuit(row), opened: row.state === 'open' && row.before !== 'open' };
}

/** A delivery succeeded: the count restarts and an open or half-open circuit closes. True when it closed. */
export async function recordCircuitSuccess(db: Queryable, partnerId: string): Promise<boolean> {
  const { rows } = await sql(db).query(
    `WITH before AS (SELECT state FROM partner_circuits WHERE partner_id = $1 FOR UPDATE)
     UPDATE partner_circuits SET state = 'closed', failures = 0, probe_at = NULL, updated_at = now()
      WHERE partner_id = $1 AND (state <> 'closed' OR failures > 0)
      RETURNING (SELECT state FROM before) AS before`,
    [partnerId],
  );
  return rows[0] !== undefined && rows[0].before !== 'closed';
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
