// Code lists of the navbridge record format v1 (kebab-case), as `as const` arrays so schemas, code
// tables, profiles and mappings all reuse one source.
import { DIAGNOSES, PRIORITIES } from './assessment-tools.js';

export { DIAGNOSES, PRIORITIES };

export const RECORD_TYPES = ['referral', 'assessment', 'support-plan', 'event'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** HNA topics; also the codes of `referral.supportNeeded`. */
export const NEED_DOMAINS = [
  'accommodation',
  'benefits',
  'finances',
  'physical-health',
  'mental-health',
  'addictive-behaviours',
  'community-support',
  'training-employment-volunteering',
] as const;

/** Wales Recovery Plan areas. */
export const WALES_RECOVERY_AREAS = [
  'accommodation',
  'education-training',
  'finance-money',
  'medical-treatment',
  'parenting-caring',
  'personal-care-wellbeing',
  'social-cultural-spiritual',
  'work-occupation',
] as const;

/** Support plan goal domains: a need domain or a Wales area (`accommodation` is in both, once). */
export const GOAL_DOMAINS = [
  ...NEED_DOMAINS,
  ...WALES_RECOVERY_AREAS.filter((a) => a !== 'accommodation'),
] as unknown as readonly [
  (typeof NEED_DOMAINS)[number] | (typeof WALES_RECOVERY_AREAS)[number],
  ...((typeof NEED_DOMAINS)[number] | (typeof WALES_RECOVERY_AREAS)[number])[],
];

export const ROUTES = [
  'gp',
  'practice-nurse',
  'social-prescriber',
  'cmht',
  'crisis-team',
  'admissions-ward',
  'cpn',
  'mental-health-practitioner',
  'self',
  'other',
] as const;

export const PREFERRED_CONTACT_METHODS = ['phone', 'text', 'email', 'letter'] as const;
/** How a contact was attempted or made (events). */
export const CONTACT_METHODS = ['phone', 'text', 'email', 'letter', 'in-person', 'video'] as const;

export const PERSON_IDENTIFIER_SYSTEMS = ['nhs-number', 'chi', 'hc-number', 'local'] as const;

/** Accessible Information Standard needs (flag categories); `other` with detail in `communicationNeedsDetail`. */
export const COMMUNICATION_NEEDS = [
  'large-print',
  'braille',
  'easy-read',
  'audio',
  'bsl-interpreter',
  'deafblind-interpreter',
  'lip-speaker',
  'hearing-loop',
  'advocate',
  'email-only',
  'text-only',
  'other',
] as const;

export const PLAN_STATUSES = ['draft', 'active', 'completed', 'revoked'] as const;
export const GOAL_STATUSES = ['proposed', 'in-progress', 'achieved', 'not-achieved', 'cancelled'] as const;
export const STEP_OWNERS = ['person', 'navigator', 'other'] as const;

/** Kinds of community service an onward referral goes to. */
export const ONWARD_SERVICE_TYPES = [
  'counselling',
  'debt-advice',
  'benefits-advice',
  'housing',
  'physical-activity',
  'peer-support-group',
  'social-group',
  'befriending',
  'volunteering',
  'employment-support',
  'education',
  'substance-misuse',
  'carers-support',
  'other',
] as const;

export const EVENT_TYPES = [
  'accepted',
  'contact-attempted',
  'contacted',
  'assessment-completed',
  'plan-agreed',
  'escalated',
  'outcome-recorded',
  'discharged',
  'rejected',
  'withdrawn',
  'entered-in-error',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DISCHARGE_REASONS = [
  'mutual-agreement',
  'non-engagement',
  'moved-away',
  'escalated-to-clinical-care',
  'other',
] as const;

export const REJECTION_REASONS = ['in-crisis', 'no-consent', 'out-of-area', 'not-eligible', 'other'] as const;

/** Outcome measures whose scores may be recorded (the tools' items are licensed and not shipped). */
export const OUTCOME_MEASURES = [
  'recovery-star',
  'wemwbs',
  'swemwbs',
  'core-10',
  'phq-9',
  'gad-7',
  'ons4',
  'reqol-10',
  'dialog',
  'other',
] as const;
