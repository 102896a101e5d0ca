// Store first (as OpenHIM's message store does): a structurally valid navigator record or inbound
// request whose mapping or validation fails is kept with its error, so that fixing a mapping can
// repair yesterday's failures (`navbridge records remap`).
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE record_failures (
      id uuid PRIMARY KEY,
      -- 'record': a navigator record (or the referral record of an inbound request) failed outbound
      -- mapping or validation; 'inbound': an inbound request failed its inverse mapping.
      kind text NOT NULL CHECK (kind IN ('record', 'inbound')),
      site text,
      record_type text,
      source_id text,
      version integer,
      partner_id text,
      -- sha-256 of the input, to keep one row per failing input however often it is resent.
      input_hash text NOT NULL,
      input jsonb NOT NULL,
      -- How to re-run it: submit options (record) or the request kind and ids (inbound).
      options jsonb NOT NULL DEFAULT '{}'::jsonb,
      state text NOT NULL CHECK (state IN ('mapping-failed', 'remapped')),
      error jsonb NOT NULL,
      attempts integer NOT NULL DEFAULT 1,
      resolution jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX record_failures_open ON record_failures (kind, COALESCE(partner_id, ''), input_hash)
      WHERE state = 'mapping-failed';
    CREATE INDEX record_failures_state_site ON record_failures (state, site, created_at);
  `);
};

export const down = (pgm) => {
  pgm.sql(`DROP TABLE IF EXISTS record_failures;`);
};
