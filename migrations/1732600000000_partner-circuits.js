// Each partner's circuit breaker, kept where every worker sees it: a worker that dies with the
// circuit open leaves nothing paused (queues are rate-limited for a while, never paused), and any
// worker — or the sweeper — can run the next trial once the cool-down has passed.
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE partner_circuits (
      partner_id text PRIMARY KEY,
      state text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half-open')),
      -- Consecutive retryable failures while closed.
      failures integer NOT NULL DEFAULT 0,
      opened_at timestamptz,
      -- When the next trial may run (open or half-open).
      probe_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `);
};

export const down = (pgm) => {
  pgm.sql(`DROP TABLE IF EXISTS partner_circuits;`);
};
