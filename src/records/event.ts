// The `event` record: something that happened to a referral, discriminated on `type` (issue 2 §2).
import { z } from 'zod';
import { CONTACT_METHODS, DISCHARGE_REASONS, RECORD_TYPES, REJECTION_REASONS } from './codes.js';
import { outcomeRecordedSchema } from './outcome-measures.js';
import { code, commonFields, isoInstant, MAX, requiredText, sourceId, text } from './primitives.js';

const base = { ...commonFields, referralId: sourceId, at: isoInstant };

const event = <T extends string, S extends z.ZodRawShape>(type: T, fields: S) =>
  z.object({ ...base, type: z.literal(type), ...fields }).strict();

export const eventSchema = z.discriminatedUnion('type', [
  event('accepted', {}),
  event('contact-attempted', { method: code(CONTACT_METHODS) }),
  event('contacted', {
    method: code(CONTACT_METHODS),
    /** On a held referral: true lifts the hold, false rejects it as no-consent (triage). */
    consentConfirmed: z.boolean().optional(),
  }),
  event('assessment-completed', { assessmentId: sourceId.optional() }),
  event('plan-agreed', { planId: sourceId.optional() }),
  /** Deterioration raised with the clinical referrer. */
  event('escalated', { summary: requiredText }),
  /** A score on an outcome measure, shaped and ranged as the measure is scored (outcome-measures.ts). */
  outcomeRecordedSchema(),
  event('discharged', {
    reason: code(DISCHARGE_REASONS),
    summary: requiredText,
    /** The discharge letter's text (how to come back, crisis contacts). */
    letter: z.string().min(1).max(MAX.letter).optional(),
  }),
  event('rejected', { reason: code(REJECTION_REASONS), detail: text }),
  /** Withdrawn by the referrer. */
  event('withdrawn', { detail: text.optional() }),
  /** Retracts a record sent in error. */
  event('entered-in-error', {
    recordType: code(RECORD_TYPES).describe('Type of the record sent in error.'),
    recordId: sourceId.describe('Source id of the record sent in error.'),
  }),
]);

/** The type-independent fields, checked on their own when `type` is missing or unknown. */
export const eventCommonSchema = z.object({ ...base, type: z.unknown() }).loose();

export type NavEvent = z.output<typeof eventSchema>;
export type EventOf<T extends NavEvent['type']> = Extract<NavEvent, { type: T }>;
