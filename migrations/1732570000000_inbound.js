// Inbound FHIR/BaRS intake: X-Request-Id per partner (a repeat is a 409, stored once) and links
// between referrals of the same person at a site (flagged for the navigator).
export const up = (pgm) => {
  pgm.sql(`
    CREATE TABLE inbound_requests (
      partner_id text NOT NULL,
      request_id text NOT NULL,
      correlation_id text,
      exchange_id uuid REFERENCES exchanges(id),
      site text,
      referral_id text,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (partner_id, request_id)
    );

    -- A new referral for a person who already has an open referral at the same site.
    CREATE TABLE referral_links (
      site text NOT NULL,
      referral_id text NOT NULL,
      linked_referral_id text NOT NULL,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site, referral_id, linked_referral_id)
    );
    CREATE INDEX referrals_person_site ON referrals(site, person_id);
    CREATE INDEX referrals_source_partner ON referrals(source_partner_id);
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP INDEX IF EXISTS referrals_source_partner;
    DROP INDEX IF EXISTS referrals_person_site;
    DROP TABLE IF EXISTS referral_links, inbound_requests;
  `);
};
