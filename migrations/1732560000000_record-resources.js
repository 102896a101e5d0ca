// Which resources (type, owner, sub-id) each record version produced, so that an entered-in-error
// event can retract exactly those.
export const up = (pgm) => {
  pgm.sql(`ALTER TABLE records ADD COLUMN resources jsonb NOT NULL DEFAULT '[]'::jsonb;`);
};

export const down = (pgm) => {
  pgm.sql(`ALTER TABLE records DROP COLUMN resources;`);
};
