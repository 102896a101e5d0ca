// The `support-plan` record: goals, steps and onward referrals agreed with the person. Goal, step and
// onward-referral ids are unique within the plan (rules.ts): they key the FHIR Goal/activity ids.
import { z } from 'zod';
import { GOAL_DOMAINS, GOAL_STATUSES, ONWARD_SERVICE_TYPES, PLAN_STATUSES, STEP_OWNERS } from './codes.js';
import {
  code,
  commonFields,
  isoDate,
  isoInstant,
  label,
  odsCode,
  requiredText,
  servicePhone,
  sourceId,
  staffSchema,
} from './primitives.js';

/** Same shape as the site's crisis contacts (site.yaml), so a site's list can be copied in; capped. */
export const planCrisisContactSchema = z
  .object({
    name: label,
    phone: servicePhone.optional(),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(500)
      .optional(),
    hours: label.optional(),
  })
  .strict();

export const stepSchema = z
  .object({
    id: sourceId,
    description: requiredText,
    owner: code(STEP_OWNERS),
    due: isoDate.optional(),
  })
  .strict();

export const goalSchema = z
  .object({
    id: sourceId,
    /** A need domain (HNA) or a Wales Recovery Plan area. */
    domain: code(GOAL_DOMAINS),
    description: requiredText,
    targetDate: isoDate.optional(),
    status: code(GOAL_STATUSES),
    steps: z.array(stepSchema).max(50),
  })
  .strict();

export const onwardReferralSchema = z
  .object({
    id: sourceId,
    service: z
      .object({
        name: label,
        type: code(ONWARD_SERVICE_TYPES),
        odsCode: odsCode.optional(),
      })
      .strict(),
    reason: requiredText,
    /** When the onward referral was made (not in the future). */
    date: isoDate,
  })
  .strict();

export const supportPlanSchema = z
  .object({
    ...commonFields,
    referralId: sourceId,
    status: code(PLAN_STATUSES),
    agreedAt: isoInstant,
    reviewDate: isoDate.optional(),
    navigator: staffSchema,
    crisisContacts: z.array(planCrisisContactSchema).max(20),
    goals: z
      .array(goalSchema)
      .max(50)
      .describe('A goal present in the previous version and absent here is cancelled, not forgotten.'),
    onwardReferrals: z.array(onwardReferralSchema).max(50),
  })
  .strict();

export type SupportPlan = z.output<typeof supportPlanSchema>;
export type Goal = SupportPlan['goals'][number];
export type Step = Goal['steps'][number];
export type OnwardReferral = SupportPlan['onwardReferrals'][number];
