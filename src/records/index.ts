// Public API of the navbridge record format v1: schemas, codes, checkRecord and CSV input.
export * from './assessment.js';
export type { AnswerType, AssessmentToolDefinition, ToolDomain, ToolItem } from './assessment-tools.js';
export { ASSESSMENT_TOOLS, HNA, WALES_RECOVERY_PLAN } from './assessment-tools.js';
export * from './check.js';
export * from './codes.js';
export * from './csv.js';
export * from './dates.js';
export * from './event.js';
export * from './identifiers.js';
export { MAX, SITE_ID_PATTERN, SOURCE_ID_PATTERN } from './primitives.js';
export * from './referral.js';
export { CLOCK_SKEW_MS, EARLIEST_BIRTH_DATE } from './rules.js';
export * from './support-plan.js';
export { formatPath } from './zod-issues.js';
