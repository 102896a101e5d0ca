// Field schemas shared by every record type: ids, codes, dates, instants and capped strings.
// Calendar validity is part of the schema; "not in the future" needs `now` and lives in rules.ts.
import { z } from 'zod';

/** Length caps (UTF-16 code units, as JavaScript counts them). */
export const MAX = {
  id: 64,
  name: 100,
  label: 200,
  text: 5000,
  /** A discharge letter is longer than a note. */
  letter: 20000,
  phone: 40,
  email: 254,
  postcode: 10,
} as const;

export const SOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SITE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const sourceId = z
  .string()
  .regex(
    SOURCE_ID_PATTERN,
    'must be a source id: 1–64 letters, digits, ".", "_" or "-", starting alphanumeric',
  );
export const siteId = z.string().regex(SITE_ID_PATTERN, 'must be a kebab-case site id');
export const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A calendar date YYYY-MM-DD (2021-02-30 fails). */
export const isoDate = z.iso.date({ error: 'must be a calendar date YYYY-MM-DD' });
/** An instant with seconds and an offset or Z; the string is kept as sent (offset not normalised). */
export const isoInstant = z.iso.datetime({
  offset: true,
  error: 'must be an instant YYYY-MM-DDThh:mm:ss with an offset or Z',
});

// FHIR strings must carry non-whitespace content: a blank value is refused, not sent.
const NOT_BLANK = /\S/;
export const name = z.string().min(1).max(MAX.name).regex(NOT_BLANK, 'must not be blank');
export const label = z.string().min(1).max(MAX.label).regex(NOT_BLANK, 'must not be blank');
// Optional free text may be empty (nothing recorded) but not whitespace only.
export const text = z.string().max(MAX.text).regex(/^$|\S/, 'must not be whitespace only');
export const requiredText = z.string().min(1).max(MAX.text).regex(NOT_BLANK, 'must not be blank');
export const phone = z
  .string()
  .max(MAX.phone)
  .regex(/^\+?[0-9 ()-]{6,}$/, 'must be a phone number (digits, spaces, "+", "(", ")", "-")');
/** A service's number: short national ones (`111`, `999`, `116 123`) are valid, so 3+ digits suffice. */
export const servicePhone = z
  .string()
  .max(MAX.phone)
  .regex(
    /^\+?(?:[ ()-]*[0-9]){3}[0-9 ()-]*$/,
    'must be a phone number with at least 3 digits (digits, spaces, "+", "(", ")", "-")',
  );
export const email = z.email({ error: 'must be an email address' }).max(MAX.email);
export const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,10}$/, 'must be an ODS code (3–10 upper-case letters or digits)');
/** UK postcode, any case, with or without the space (triage normalises it). */
export const postcode = z
  .string()
  .max(MAX.postcode)
  .regex(/^[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}$/, 'must be a UK postcode');

/** An enum schema from an `as const` list. */
export const code = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

/** A list of codes from `values`, at most one of each possible code. */
export const codeList = <T extends readonly [string, ...string[]]>(values: T) =>
  z.array(z.enum(values)).max(values.length);

/** A named person acting for a service (navigator). */
export const staffSchema = z
  .object({
    name,
    /** The navigator's id in the source system. */
    id: sourceId.optional(),
  })
  .strict();

/** Fields every record carries. `site` is required once checked: callers fill it first (see check.ts). */
export const commonFields = {
  id: sourceId.describe('Source id: unique per site and record type.'),
  site: siteId.describe('Kebab-case id of the navigator site (mappings/sites/<site>).'),
  version: version.describe('Increases with each changed resend of the record.'),
};
