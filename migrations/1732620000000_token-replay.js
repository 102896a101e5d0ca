// Token ids (JWT `jti`) seen from each client, kept until the token expires: a captured token is
// refused the second time by every API process (they share this table).
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE seen_tokens (
      client_id text NOT NULL,
      jti_hash bytea NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (client_id, jti_hash)
    );
    CREATE INDEX seen_tokens_expiry ON seen_tokens(expires_at);
  `);
};

export const down = (pgm) => {
  pgm.sql('DROP TABLE IF EXISTS seen_tokens;');
};
