// Canonical URLs navbridge publishes (profiles, code systems, questionnaires) and the external
// identifier systems it uses. One place, so mappings, profiles and validation cannot drift apart.

export const CANONICAL_BASE = 'https://fhir.navbridge.org.uk';

const sd = (id: string): string => `${CANONICAL_BASE}/StructureDefinition/${id}`;
const cs = (id: string): string => `${CANONICAL_BASE}/CodeSystem/${id}`;
const vs = (id: string): string => `${CANONICAL_BASE}/ValueSet/${id}`;

/** Profile short names (used in mapping files) → canonical URL. */
export const PROFILES = {
  'navbridge-patient': sd('navbridge-patient'),
  'navbridge-referral': sd('navbridge-referral'),
  'navbridge-onward-referral': sd('navbridge-onward-referral'),
  'navbridge-referral-task': sd('navbridge-referral-task'),
  'navbridge-onward-task': sd('navbridge-onward-task'),
  'navbridge-needs-assessment': sd('navbridge-needs-assessment'),
  'navbridge-support-plan': sd('navbridge-support-plan'),
  'navbridge-goal': sd('navbridge-goal'),
  'navbridge-communication': sd('navbridge-communication'),
  'navbridge-flag': sd('navbridge-flag'),
  'navbridge-organization': sd('navbridge-organization'),
  'navbridge-practitioner-role': sd('navbridge-practitioner-role'),
  'navbridge-outcome-observation': sd('navbridge-outcome-observation'),
} as const;
export type ProfileName = keyof typeof PROFILES;

/** navbridge CodeSystems; each has a ValueSet of the same id containing all its codes. */
export const CODE_SYSTEM_IDS = [
  'need-domain',
  'wales-recovery-area',
  'referral-route',
  'business-status',
  'discharge-reason',
  'rejection-reason',
  'diagnosis',
  'flag-category',
  'contact-method',
  'communication-category',
  'outcome-measure',
  'outcome-measure-item',
  'task-output',
  'event-type',
  // Needs assessment answers (generated from src/records/assessment-tools.ts into questionnaires.fsh).
  'assessment-priority',
  'assessment-answer',
] as const;
export type CodeSystemId = (typeof CODE_SYSTEM_IDS)[number];
export const codeSystemUrl = (id: CodeSystemId): string => cs(id);
export const valueSetUrl = (id: CodeSystemId): string => vs(id);

export const QUESTIONNAIRES = {
  hna: `${CANONICAL_BASE}/Questionnaire/hna`,
  'wales-recovery-plan': `${CANONICAL_BASE}/Questionnaire/wales-recovery-plan`,
} as const;
export type AssessmentTool = keyof typeof QUESTIONNAIRES;

/** National identifier systems (UK Core-aligned). */
export const IDENTIFIER_SYSTEMS = {
  'nhs-number': 'https://fhir.nhs.uk/Id/nhs-number',
  // Scotland CHI number: the OID used by UK implementations for CHI.
  chi: 'urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53',
  // Northern Ireland Health and Care number.
  'hc-number': 'https://fhir.nhs.uk/Id/hsc-number',
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
} as const;

export const SNOMED = 'http://snomed.info/sct';
/** Verified SNOMED CT concept: "Referral to social prescribing service". */
export const SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING = '871731000000106';
