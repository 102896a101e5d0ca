// The `referral` record: a person referred to the navigator service (issue 2 §2).
import { z } from 'zod';
import {
  COMMUNICATION_NEEDS,
  NEED_DOMAINS,
  type PERSON_IDENTIFIER_SYSTEMS,
  PREFERRED_CONTACT_METHODS,
  ROUTES,
} from './codes.js';
import {
  code,
  codeList,
  commonFields,
  email,
  isoDate,
  isoInstant,
  label,
  MAX,
  name,
  odsCode,
  phone,
  postcode,
  requiredText,
  sourceId,
  text,
} from './primitives.js';

const tenDigits = z.string().regex(/^[0-9]{10}$/, 'must be 10 digits');

/** The number's format is schema; its check digit is a rule (rules.ts) that can be a warning. */
const identifier = <S extends (typeof PERSON_IDENTIFIER_SYSTEMS)[number]>(system: S, value: z.ZodString) =>
  z.object({ system: z.literal(system), value, verified: z.boolean().optional() }).strict();

export const personIdentifierSchema = z.discriminatedUnion('system', [
  identifier('nhs-number', tenDigits),
  identifier('chi', tenDigits),
  identifier('hc-number', tenDigits),
  identifier(
    'local',
    z
      .string()
      .min(1)
      .max(MAX.id)
      .regex(/^\S(.*\S)?$/, 'must not start or end with white space'),
  ),
]);

export const referrerSchema = z
  .object({
    name,
    role: label,
    organisation: label,
    odsCode: odsCode.optional(),
    phone: phone.optional(),
    email: email.optional(),
  })
  .strict();

export const personSchema = z
  .object({
    nhsNumber: tenDigits.optional().describe('10 digits with a modulus-11 check digit.'),
    identifiers: z.array(personIdentifierSchema).max(10).optional(),
    name: z
      .object({
        given: z.array(name).max(5),
        family: name,
        /** Name the person prefers to be called. */
        preferred: name.optional(),
      })
      .strict(),
    birthDate: isoDate,
    phone: phone.optional(),
    email: email.optional(),
    address: z
      .object({
        lines: z.array(label).max(6),
        city: name.optional(),
        postcode: postcode.optional(),
      })
      .strict()
      .optional(),
    preferredContact: code(PREFERRED_CONTACT_METHODS),
    /** What is safe when contacting the person (someone else may read letters or hear voicemail). */
    safeContact: z
      .object({ voicemail: z.boolean(), letters: z.boolean(), textMessages: z.boolean() })
      .strict()
      .optional(),
    /** Accessible Information Standard needs. */
    communicationNeeds: codeList(COMMUNICATION_NEEDS).optional(),
    communicationNeedsDetail: z.string().max(500).optional(),
    interpreterLanguage: name.optional(),
    gpPracticeOds: odsCode.optional(),
  })
  .strict();

export const referralSchema = z
  .object({
    ...commonFields,
    referralDate: isoDate.describe('Date the referral was made (not after today in Europe/London).'),
    receivedAt: isoInstant.describe('When the navigator service received it; the offset is kept as sent.'),
    /** true = given, false = refused, absent = not known (triage holds the referral). */
    consentToRefer: z
      .boolean()
      .optional()
      .describe('true = consent given, false = refused, absent = not known (the referral is held).'),
    referrer: referrerSchema,
    route: code(ROUTES),
    person: personSchema,
    reason: requiredText,
    supportNeeded: codeList(NEED_DOMAINS).describe('Need domains the person wants support with.'),
    risks: z
      .object({
        toSelf: z.boolean(),
        toOthers: z.boolean(),
        inCrisis: z.boolean(),
        details: text.optional(),
      })
      .strict(),
    /** A re-referral names the earlier referral's source id. */
    previousReferralId: sourceId.optional().describe('Source id of the earlier referral (re-referral).'),
    /** Agreement to share assessment and plan content; absent = not agreed (status updates still go). */
    sharing: z
      .object({
        /** Status updates to the referrer and GP are direct care: false only when the person objected. */
        statusUpdates: z
          .boolean()
          .default(true)
          .describe('Status updates to the referrer and GP (direct care); false when the person objected.'),
        withReferrer: z.boolean().default(false),
        withGp: z.boolean().default(false),
        withOnwardServices: z.boolean().default(false),
      })
      .strict()
      .optional()
      .describe('Agreement to share assessment and plan content; absent = not agreed.'),
  })
  .strict();

export type Referral = z.output<typeof referralSchema>;
export type Person = Referral['person'];
export type PersonIdentifier = z.output<typeof personIdentifierSchema>;
