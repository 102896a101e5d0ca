// records.facts: what the KPI report and the watchdog read of a record, in plain beside its sealed
// payload (src/store/record-facts.ts `factsOf` writes it at insert; README "Reports"): codes, instants,
// scores and the ids the reports join on — never names, NHS numbers, dates of birth or free text.
// Plaintext rows (written before sealing) are filled here, by the same rules in SQL; rows sealed before
// this migration are filled by `navbridge keys rotate`, which opens them (src/store/rotation.ts).

/** factsOf in SQL, for a plaintext `payload` of a row (exported for the test that compares the two). */
export const PLAINTEXT_FACTS = `
  CASE record_type
    WHEN 'referral' THEN jsonb_strip_nulls(jsonb_build_object(
      'route', payload->'route', 'receivedAt', payload->'receivedAt'))
    WHEN 'event' THEN jsonb_strip_nulls(jsonb_build_object(
      'type', payload->'type', 'at', payload->'at',
      'reason', CASE WHEN payload->>'type' IN ('discharged', 'rejected') THEN payload->'reason' END,
      'consentConfirmed', CASE WHEN payload->>'type' = 'contacted' THEN payload->'consentConfirmed' END,
      'measure', CASE WHEN payload->>'type' = 'outcome-recorded' THEN payload->'measure' END,
      'score', CASE WHEN payload->>'type' = 'outcome-recorded' THEN payload->'score' END,
      'recordType', CASE WHEN payload->>'type' = 'entered-in-error' THEN payload->'recordType' END,
      'recordId', CASE WHEN payload->>'type' = 'entered-in-error' THEN payload->'recordId' END))
    WHEN 'assessment' THEN jsonb_strip_nulls(jsonb_build_object(
      'completedAt', payload->'completedAt',
      'domains', CASE WHEN jsonb_typeof(payload->'domains') = 'array' THEN coalesce(
        (SELECT jsonb_agg(jsonb_build_object('domain', d->'domain', 'needIdentified', d->'needIdentified')
                          ORDER BY n)
           FROM jsonb_array_elements(payload->'domains') WITH ORDINALITY AS e(d, n)
          WHERE jsonb_typeof(d) = 'object'), '[]'::jsonb) END))
    WHEN 'support-plan' THEN jsonb_strip_nulls(jsonb_build_object(
      'agreedAt', payload->'agreedAt',
      'onward', CASE WHEN jsonb_typeof(payload->'onwardReferrals') = 'array' THEN coalesce(
        (SELECT jsonb_agg(jsonb_build_object('id', o->'id', 'type', o->'service'->'type',
                  'service', encode(sha256(convert_to(
                    lower(o->'service'->>'name') || '|' || (o->'service'->>'type'), 'UTF8')), 'hex'))
                          ORDER BY n)
           FROM jsonb_array_elements(payload->'onwardReferrals') WITH ORDINALITY AS e(o, n)
          WHERE jsonb_typeof(o) = 'object'), '[]'::jsonb) END))
    ELSE '{}'::jsonb
  END`;

export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE records ADD COLUMN facts jsonb;
    UPDATE records SET facts = ${PLAINTEXT_FACTS}
     WHERE jsonb_typeof(payload) = 'object' AND payload->>'nb:sealed' IS NULL;
  `);
};

export const down = (pgm) => {
  pgm.sql('ALTER TABLE records DROP COLUMN facts;');
};
