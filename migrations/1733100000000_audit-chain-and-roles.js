// A complete, tamper-evident audit trail, and least privilege.
//
// audit_log gains `outcome` and `source_address`, and a hash chain: a BEFORE INSERT trigger (SECURITY
// DEFINER, owned by the migrating owner role) takes the chain head — one row in `audit_chain`,
// locked FOR UPDATE, so concurrent writers queue on it and can never fork the chain — and gives the
// new row the next `seq`, the previous row's hash and its own hash: sha256 of the canonical text
// `audit_canonical()` builds (a JSON array of every column). `navbridge audit verify` recomputes it.
//
// The application role (cluster-wide, default `navbridge_app`, or the session setting
// `navbridge.app_role` the migrator sets) may read and write navbridge's tables in this schema, but
// may only SELECT and INSERT audit_log and has no privilege at all on audit_chain: it cannot update,
// delete, truncate, alter the table or drop or disable its triggers (only the owner can). Roles are
// shared by every schema of the cluster (tests run one schema per suite): creation tolerates a
// concurrent creator, and every grant names this schema only.
export const up = (pgm) => {
  pgm.sql(`
    DO $$
    DECLARE app text := coalesce(nullif(current_setting('navbridge.app_role', true), ''), 'navbridge_app');
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        BEGIN
          EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', app);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
      -- The owner may act as the application role (SET ROLE), so one URL can serve both.
      IF NOT pg_has_role(current_user, app, 'MEMBER') THEN
        BEGIN
          EXECUTE format('GRANT %I TO %I', app, current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app);
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), app);
      EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), app);
      -- Tables and sequences later migrations create (as this owner) are the application's too.
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', current_schema(), app);
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', current_schema(), app);
      EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM %I', app);
      EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON navbridge_migrations FROM %I', app);
      EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    END $$;

    ALTER TABLE audit_log
      ADD COLUMN outcome text NOT NULL DEFAULT 'success',
      ADD COLUMN source_address text,
      ADD COLUMN seq bigint,
      ADD COLUMN prev_hash bytea,
      ADD COLUMN hash bytea;

    CREATE TABLE audit_chain (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      seq bigint NOT NULL,
      hash bytea NOT NULL
    );
    -- The genesis: seq 0 and a hash of nothing.
    INSERT INTO audit_chain (seq, hash) VALUES (0, sha256(''::bytea));
    -- The default privileges above would give it to the application: the chain head is the owner's
    -- (the application may read it, to verify the chain).
    DO $$
    DECLARE app text := coalesce(nullif(current_setting('navbridge.app_role', true), ''), 'navbridge_app');
    BEGIN
      EXECUTE format('REVOKE ALL ON audit_chain FROM %I', app);
      EXECUTE format('GRANT SELECT ON audit_chain TO %I', app);
    END $$;

    CREATE FUNCTION audit_canonical(seq bigint, prev_hash bytea, at timestamptz, actor text, action text,
        target_type text, target_id text, outcome text, source_address text, detail jsonb)
      RETURNS text LANGUAGE sql IMMUTABLE AS $f$
      SELECT jsonb_build_array(seq::text, encode(prev_hash, 'hex'),
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, action, target_type,
        target_id, outcome, source_address, detail)::text
    $f$;

    CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path FROM CURRENT AS $f$
    DECLARE head audit_chain%ROWTYPE;
    BEGIN
      SELECT * INTO head FROM audit_chain WHERE singleton FOR UPDATE;
      NEW.seq := head.seq + 1;
      NEW.prev_hash := head.hash;
      NEW.at := date_trunc('microseconds', coalesce(NEW.at, now()));
      NEW.hash := sha256(convert_to(audit_canonical(NEW.seq, NEW.prev_hash, NEW.at, NEW.actor, NEW.action,
        NEW.target_type, NEW.target_id, NEW.outcome, NEW.source_address, NEW.detail), 'UTF8'));
      UPDATE audit_chain SET seq = NEW.seq, hash = NEW.hash WHERE singleton;
      RETURN NEW;
    END $f$;
    REVOKE ALL ON FUNCTION audit_log_chain() FROM PUBLIC;

    -- Rows written before the chain existed join it, in id order.
    ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
    DO $$
    DECLARE r record; head audit_chain%ROWTYPE; h bytea;
    BEGIN
      FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        SELECT * INTO head FROM audit_chain WHERE singleton FOR UPDATE;
        h := sha256(convert_to(audit_canonical(head.seq + 1, head.hash, r.at, r.actor, r.action,
          r.target_type, r.target_id, r.outcome, r.source_address, r.detail), 'UTF8'));
        UPDATE audit_log SET seq = head.seq + 1, prev_hash = head.hash, hash = h WHERE id = r.id;
        UPDATE audit_chain SET seq = head.seq + 1, hash = h WHERE singleton;
      END LOOP;
    END $$;
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

    ALTER TABLE audit_log
      ALTER COLUMN seq SET NOT NULL,
      ALTER COLUMN prev_hash SET NOT NULL,
      ALTER COLUMN hash SET NOT NULL,
      ADD CONSTRAINT audit_log_seq_unique UNIQUE (seq),
      ADD CONSTRAINT audit_log_outcome CHECK (outcome IN ('success', 'failure', 'denied'));
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_actor ON audit_log (actor, seq);
    CREATE INDEX audit_log_target ON audit_log (target_id, seq);
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP TRIGGER IF EXISTS audit_log_chain ON audit_log;
    DROP FUNCTION IF EXISTS audit_log_chain();
    DROP FUNCTION IF EXISTS audit_canonical(bigint, bytea, timestamptz, text, text, text, text, text, text, jsonb);
    DROP TABLE IF EXISTS audit_chain;
    DROP INDEX IF EXISTS audit_log_at, audit_log_actor, audit_log_target;
    ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_seq_unique,
      DROP CONSTRAINT IF EXISTS audit_log_outcome,
      DROP COLUMN IF EXISTS outcome, DROP COLUMN IF EXISTS source_address, DROP COLUMN IF EXISTS seq,
      DROP COLUMN IF EXISTS prev_hash, DROP COLUMN IF EXISTS hash;
  `);
};
