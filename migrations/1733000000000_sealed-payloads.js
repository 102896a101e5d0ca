// Encryption at rest (src/store/sealing.ts): payload columns hold sealed envelopes from now on, so SQL
// can no longer look inside them. What queries needed from a payload is kept beside it as plain
// non-patient metadata, written at insert and filled here for the rows written before:
// - records.sharing: the referral's agreement to share (booleans by category), read by routing and reads;
// - exchanges.resource_keys: "Type/id" of each resource an exchange carries (partner reads);
// - exchanges.message_ids: the Bundle id, first entry's resource id and urn:uuid fullUrl (BaRS responses).
// Rows written before stay plaintext until `navbridge keys rotate` seals them; reads accept both.
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE records ADD COLUMN sharing jsonb;
    UPDATE records SET sharing = payload->'sharing'
      WHERE record_type = 'referral' AND jsonb_typeof(payload->'sharing') = 'object';

    ALTER TABLE exchanges ADD COLUMN resource_keys text[] NOT NULL DEFAULT '{}';
    ALTER TABLE exchanges ADD COLUMN message_ids text[] NOT NULL DEFAULT '{}';
    UPDATE exchanges SET
      resource_keys = ARRAY(
        SELECT DISTINCT (e->'resource'->>'resourceType') || '/' || (e->'resource'->>'id')
          FROM jsonb_array_elements(payload->'entry') AS e
         WHERE e->'resource'->>'resourceType' IS NOT NULL AND e->'resource'->>'id' IS NOT NULL),
      message_ids = ARRAY(
        SELECT DISTINCT v FROM unnest(ARRAY[
          payload->>'id',
          payload->'entry'->0->'resource'->>'id',
          CASE WHEN payload->'entry'->0->>'fullUrl' LIKE 'urn:uuid:%'
               THEN substr(payload->'entry'->0->>'fullUrl', 10) END]) AS v
         WHERE v IS NOT NULL)
      WHERE direction = 'outbound' AND jsonb_typeof(payload) = 'object' AND jsonb_typeof(payload->'entry') = 'array';
    CREATE INDEX exchanges_resource_keys ON exchanges USING gin (resource_keys) WHERE direction = 'outbound';
    CREATE INDEX exchanges_message_ids ON exchanges USING gin (message_ids) WHERE direction = 'outbound';
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP INDEX IF EXISTS exchanges_message_ids;
    DROP INDEX IF EXISTS exchanges_resource_keys;
    ALTER TABLE exchanges DROP COLUMN message_ids;
    ALTER TABLE exchanges DROP COLUMN resource_keys;
    ALTER TABLE records DROP COLUMN sharing;
  `);
};
