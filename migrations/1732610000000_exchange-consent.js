// What each exchange carries, as routing decided it: the delivery categories and the recipient's roles
// (referrer, gp, onward-service). Reads check them against the consent in force now, so a person's
// later refusal hides from a partner what was not yet delivered to it.
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE exchanges ADD COLUMN categories text[] NOT NULL DEFAULT '{}';
    ALTER TABLE exchanges ADD COLUMN roles text[] NOT NULL DEFAULT '{}';
    CREATE INDEX exchanges_partner_referral ON exchanges(partner_id, site, referral_id) WHERE direction = 'outbound';
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP INDEX IF EXISTS exchanges_partner_referral;
    ALTER TABLE exchanges DROP COLUMN roles;
    ALTER TABLE exchanges DROP COLUMN categories;
  `);
};
