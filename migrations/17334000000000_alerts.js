// The watchdog's alerts (issue 10 §4): one row per condition while it holds. A condition fires once —
// the partial unique index on (kind, key) while not cleared makes a second raise a no-op — and clears
// when it no longer holds; if it comes back later it is a new alert. Rows carry ids and instants only.
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE alerts (
      id uuid PRIMARY KEY,
      kind text NOT NULL,
      -- What the condition is about, e.g. "leeds-north|REF-1|contact" or an exchange id.
      key text NOT NULL,
      site text,
      partner_id text,
      referral_id text,
      exchange_id uuid,
      -- Due instants, ages, thresholds: never patient data.
      detail jsonb NOT NULL DEFAULT '{}'::jsonb,
      raised_at timestamptz NOT NULL,
      cleared_at timestamptz
    );
    CREATE UNIQUE INDEX alerts_open ON alerts (kind, key) WHERE cleared_at IS NULL;
    CREATE INDEX alerts_raised ON alerts (raised_at DESC);
  `);
};

export const down = (pgm) => {
  pgm.sql('DROP TABLE IF EXISTS alerts;');
};
