// BaRS receiver (issue 11 §1): the MessageHeader.source.endpoint of a partner's message is where
// asynchronous replies go (an NHSD-Target-Identifier such as https://fhir.nhs.uk/Id/dos-service-id|123):
// kept in plain with the referral and with the request that carried it (an address, never patient data).
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE referrals ADD COLUMN reply_to text;
    ALTER TABLE inbound_requests ADD COLUMN reply_to text;
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    ALTER TABLE inbound_requests DROP COLUMN IF EXISTS reply_to;
    ALTER TABLE referrals DROP COLUMN IF EXISTS reply_to;
  `);
};
