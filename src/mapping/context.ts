// The mapping context (docs/architecture.md "Mapping context"): everything a mapping may know
// besides the record, built by the caller. `now` is the only time a mapping may use.
import { z } from 'zod';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { resourceId } from '../fhir/ids.js';
import { RECORD_TYPES } from '../records/codes.js';
import { type SiteSettings, siteSettingsSchema } from '../settings/site.js';

const isoInstant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with an offset' });

export const identifierSchema = z.object({ system: z.string().min(1), value: z.string().min(1) }).strict();
export type ContextIdentifier = z.infer<typeof identifierSchema>;

/** Same shape as TriageDecision in src/triage (kept here so a context file can be validated alone). */
export const triageDecisionSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('accept') }).strict(),
  z.object({ outcome: z.literal('hold'), reason: z.literal('consent-to-confirm') }).strict(),
  z
    .object({ outcome: z.literal('reject'), reason: z.enum(['in-crisis', 'no-consent', 'out-of-area']) })
    .strict(),
]);

export const TASK_STATUSES = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
] as const;

export const referralIdentitySchema = z
  .object({
    id: z.string().min(1),
    site: z.string().min(1),
    patient: z
      .object({
        identifiers: z.array(identifierSchema).default([]),
        /** Literal reference, e.g. `Patient/<uuid>`, when partners hold our Patient. */
        reference: z.string().min(1).optional(),
      })
      .strict(),
    requester: z
      .object({
        odsCode: z.string().min(1).optional(),
        /** The referrer's own ServiceRequest identifier (e.g. from a BaRS referral). */
        serviceRequestIdentifier: identifierSchema.optional(),
        serviceRequestUrl: z.string().url().optional(),
        /** BaRS: the request message's Bundle.id, its ServiceRequest id and journey (EpisodeOfCare). */
        requestBundleId: z.string().min(1).optional(),
        serviceRequestId: z.string().min(1).optional(),
        journey: z
          .object({ reference: z.string().min(1).optional(), identifier: identifierSchema.optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** When the service received the referral: the referral Task's authoredOn, kept on every update. */
    receivedAt: isoInstant.optional(),
    state: z
      .object({
        taskStatus: z.enum(TASK_STATUSES),
        businessStatus: z.string().min(1),
        onHold: z.boolean(),
        hasPlan: z.boolean(),
      })
      .strict(),
    /** The latest referral version's sharing agreement (assessments and plans follow it). */
    sharing: z
      .object({
        statusUpdates: z.boolean().optional(),
        withReferrer: z.boolean().optional(),
        withGp: z.boolean().optional(),
        withOnwardServices: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ReferralIdentity = z.infer<typeof referralIdentitySchema>;

export const previousPlanSchema = z
  .object({
    version: z.number().int().min(1),
    goalIds: z.array(z.string().min(1)),
    /** The previous version's goals (a goal dropped since is mapped as cancelled). */
    goals: z.array(z.object({ id: z.string().min(1) }).loose()).default([]),
  })
  .strict();

export const targetSchema = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    id: z.string().min(1),
    resources: z.array(z.object({ resourceType: z.string().min(1), subId: z.string().default('') }).strict()),
    /** A retracted assessment's tool: its QuestionnaireResponse names that tool's Questionnaire. */
    tool: z.enum(['hna', 'wales-recovery-plan']).optional(),
  })
  .strict();

export const mappingContextSchema = z
  .object({
    now: isoInstant,
    site: siteSettingsSchema,
    triage: triageDecisionSchema.optional(),
    referral: referralIdentitySchema.optional(),
    previousPlan: previousPlanSchema.optional(),
    /** The latest support-plan record (for `discharged`). */
    latestPlan: z
      .object({ id: z.string().min(1) })
      .loose()
      .optional(),
    target: targetSchema.optional(),
    /**
     * A non-engagement discharge: the contact attempts since the last contact, oldest first (method,
     * instant and its London date), for the letter to list. Absent: the letter keeps its template text.
     */
    contactAttempts: z
      .array(z.object({ method: z.string().min(1), at: isoInstant, date: z.iso.date() }).strict())
      .max(200)
      .optional(),
    mappingVersion: z.string().optional(),
  })
  .strict();
export type MappingContext = z.infer<typeof mappingContextSchema>;
/**
 * What a `--context file.json` (or a golden's `<name>.context.json`) may hold: any context field but
 * `site`, which always comes from the site's site.yaml; the caller fills the rest.
 */
export const contextFileSchema = mappingContextSchema.omit({ site: true }).partial();
export type ContextFile = z.infer<typeof contextFileSchema>;

type PersonLike = {
  nhsNumber?: unknown;
  identifiers?: unknown;
};
const PERSON_SYSTEMS: Record<string, string> = {
  'nhs-number': IDENTIFIER_SYSTEMS['nhs-number'],
  chi: IDENTIFIER_SYSTEMS.chi,
  'hc-number': IDENTIFIER_SYSTEMS['hc-number'],
};

/** National identifiers of a referral's person, NHS number first (the order partners try them in). */
export function patientIdentifiers(person: PersonLike | undefined): ContextIdentifier[] {
  const out: ContextIdentifier[] = [];
  const add = (system: string | undefined, value: unknown): void => {
    if (
      system &&
      typeof value === 'string' &&
      value &&
      !out.some((i) => i.system === system && i.value === value)
    ) {
      out.push({ system, value });
    }
  };
  add(PERSON_SYSTEMS['nhs-number'], person?.nhsNumber);
  if (Array.isArray(person?.identifiers)) {
    for (const id of person.identifiers as { system?: unknown; value?: unknown }[]) {
      add(PERSON_SYSTEMS[String(id.system)], id.value);
    }
  }
  return out;
}

interface RecordLike {
  id: string;
  referralId?: unknown;
  person?: unknown;
  referrer?: unknown;
  receivedAt?: unknown;
  sharing?: unknown;
  type?: unknown;
  recordType?: unknown;
  recordId?: unknown;
}

/**
 * The context the CLI uses without `--context`: for a referral, its own identity; for other records,
 * the referral identity derived from `referralId` with deterministic ids, accepted and not on hold.
 */
/** The resource each record type certainly produces under its own id (sub-id ''). */
const MAIN_RESOURCE: Record<string, string> = {
  referral: 'ServiceRequest',
  assessment: 'QuestionnaireResponse',
  'support-plan': 'CarePlan',
};

export function defaultContext(
  recordType: string,
  record: RecordLike,
  site: SiteSettings,
  now: string,
): MappingContext {
  const referralId = recordType === 'referral' ? record.id : String(record.referralId ?? '');
  const ctx: MappingContext = { now, site };
  if (!referralId) return ctx;
  const identifiers =
    recordType === 'referral' ? patientIdentifiers(record.person as PersonLike | undefined) : [];
  const odsCode =
    recordType === 'referral' ? (record.referrer as { odsCode?: unknown } | undefined)?.odsCode : undefined;
  // entered-in-error without a context file: retract the record's main resource, whose id is known
  // (owner = the target record, sub-id ''). The service passes the exact list it stored instead.
  if (recordType === 'event' && record.type === 'entered-in-error' && typeof record.recordId === 'string') {
    const main = MAIN_RESOURCE[String(record.recordType)];
    if (main) {
      ctx.target = {
        recordType: record.recordType as 'referral' | 'assessment' | 'support-plan',
        id: record.recordId,
        resources: [{ resourceType: main, subId: '' }],
      };
    }
  }
  ctx.referral = {
    id: referralId,
    site: site.id,
    patient: { identifiers, reference: `Patient/${resourceId(site.id, 'Patient', referralId)}` },
    ...(typeof odsCode === 'string' ? { requester: { odsCode } } : {}),
    ...(recordType === 'referral' && typeof record.receivedAt === 'string'
      ? { receivedAt: record.receivedAt }
      : {}),
    state: { taskStatus: 'accepted', businessStatus: 'accepted', onHold: false, hasPlan: false },
  };
  return ctx;
}
