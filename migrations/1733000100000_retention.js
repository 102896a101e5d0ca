// Retention (store/retention.ts): payloads are deleted after their class's days while the row, its
// metadata and the audit trail stay. The pruned columns become nullable, and each row says when its
// payload went, so a reader can tell "pruned" from "never had one".
export const up = (pgm) => {
  pgm.sql(`
    ALTER TABLE exchanges ADD COLUMN payload_pruned_at timestamptz;
    ALTER TABLE record_failures ALTER COLUMN input DROP NOT NULL;
    ALTER TABLE record_failures ALTER COLUMN error DROP NOT NULL;
    ALTER TABLE record_failures ADD COLUMN input_pruned_at timestamptz;
    CREATE INDEX exchanges_prunable ON exchanges (status, updated_at) WHERE payload IS NOT NULL;
  `);
};

export const down = (pgm) => {
  pgm.sql(`
    DROP INDEX IF EXISTS exchanges_prunable;
    ALTER TABLE record_failures DROP COLUMN input_pruned_at;
    ALTER TABLE exchanges DROP COLUMN payload_pruned_at;
  `);
};
