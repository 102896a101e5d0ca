// An exchange in flight when its referral is withdrawn cannot be stopped mid-request; it is marked, and
// if that attempt fails it is superseded instead of retried.
export const up = (pgm) => {
  pgm.sql(`ALTER TABLE exchanges ADD COLUMN supersede_on_failure text;`);
};

export const down = (pgm) => {
  pgm.sql(`ALTER TABLE exchanges DROP COLUMN supersede_on_failure;`);
};
