// Message store: records by version, persons, referrals, exchanges with attempts, audit log.
// Plain SQL through node-pg-migrate so the schema reads as PostgreSQL.

export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE persons (
      id uuid PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- Keyed HMAC of a verified national identifier ("system|value"): never a plain hash.
    CREATE TABLE person_keys (
      key text PRIMARY KEY,
      person_id uuid NOT NULL REFERENCES persons(id),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX person_keys_person ON person_keys(person_id);

    CREATE TABLE records (
      site text NOT NULL,
      record_type text NOT NULL CHECK (record_type IN ('referral','assessment','support-plan','event')),
      source_id text NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      referral_id text NOT NULL,
      person_id uuid REFERENCES persons(id),
      payload jsonb NOT NULL,
      mapping_version text,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site, record_type, source_id, version)
    );
    CREATE INDEX records_referral ON records(site, referral_id, received_at);

    CREATE TABLE referrals (
      site text NOT NULL,
      referral_id text NOT NULL,
      person_id uuid REFERENCES persons(id),
      source_partner_id text,
      status text NOT NULL DEFAULT 'new' CHECK (status IN ('new','open','closed')),
      triage jsonb,
      task_status text,
      business_status text,
      on_hold boolean NOT NULL DEFAULT false,
      has_plan boolean NOT NULL DEFAULT false,
      requester jsonb,
      received_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site, referral_id)
    );

    CREATE TABLE exchanges (
      id uuid PRIMARY KEY,
      seq bigserial UNIQUE,
      direction text NOT NULL CHECK (direction IN ('inbound','outbound')),
      partner_id text,
      site text NOT NULL,
      record_type text NOT NULL,
      source_id text NOT NULL,
      version integer NOT NULL,
      referral_id text,
      person_id uuid REFERENCES persons(id),
      -- Resources whose latest version wins share a state key (e.g. "support-plan:plan-1").
      state_key text,
      delivery_mode text,
      payload jsonb,
      status text NOT NULL CHECK (status IN ('pending','in-flight','delivered','failed','dead','blocked',
        'superseded','no-route','withheld-no-consent','discarded','received')),
      status_reason text,
      correlation_id uuid NOT NULL,
      request_id uuid,
      queue_token text,
      claim_token uuid,
      lease_until timestamptz,
      attempt_count integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_error jsonb,
      replay_of uuid REFERENCES exchanges(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz
    );
    CREATE INDEX exchanges_open_per_person ON exchanges(partner_id, person_id, seq)
      WHERE status IN ('pending','in-flight','failed','dead','blocked');
    CREATE INDEX exchanges_status ON exchanges(status, partner_id);
    CREATE INDEX exchanges_record ON exchanges(site, record_type, source_id, version);
    CREATE INDEX exchanges_referral ON exchanges(site, referral_id);

    CREATE TABLE exchange_attempts (
      id bigserial PRIMARY KEY,
      exchange_id uuid NOT NULL REFERENCES exchanges(id),
      attempt_no integer NOT NULL,
      request_id uuid NOT NULL,
      claim_token uuid NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      outcome text CHECK (outcome IN ('delivered','retry','dead','abandoned')),
      http_status integer,
      response jsonb,
      error_class text,
      duration_ms integer,
      UNIQUE (exchange_id, attempt_no)
    );

    -- What a partner server last told us about a resource it holds (rest mode If-Match).
    CREATE TABLE partner_resources (
      partner_id text NOT NULL,
      resource_type text NOT NULL,
      resource_id text NOT NULL,
      server_id text NOT NULL,
      etag text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (partner_id, resource_type, resource_id)
    );

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb
    );
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP TABLE IF EXISTS audit_log, partner_resources, exchange_attempts, exchanges, referrals, records,
      person_keys, persons CASCADE;
    DROP FUNCTION IF EXISTS audit_log_append_only();
  `);
};
