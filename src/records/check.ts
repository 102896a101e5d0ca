// checkRecord: schema + structural rules in one pass, reporting every problem at once. A record is
// returned only when no issue is an error (warnings, e.g. a failing NHS check digit under 'warn', stay).
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { z } from 'zod';
import { hasErrors } from '../errors/index.js';
import { type Assessment, assessmentCommonSchema, assessmentSchema } from './assessment.js';
import { ASSESSMENT_TOOLS, type AssessmentToolDefinition } from './assessment-tools.js';
import type { RecordType } from './codes.js';
import { eventCommonSchema, eventSchema, type NavEvent } from './event.js';
import { type Referral, referralSchema } from './referral.js';
import { checkRules } from './rules.js';
import { type SupportPlan, supportPlanSchema } from './support-plan.js';
import { recordErrorMap, toOutcomeIssues } from './zod-issues.js';

export type NavRecord = Referral | Assessment | SupportPlan | NavEvent;
export interface RecordOf {
  referral: Referral;
  assessment: Assessment;
  'support-plan': SupportPlan;
  event: NavEvent;
}

export interface RecordCheckOptions {
  /** The moment "today" and "the future" are judged against (dates in Europe/London). */
  now: Date;
  /** Check-digit failures of NHS, CHI and H&C numbers: an error, or a warning that keeps the record. */
  nhsNumberCheck: 'error' | 'warn';
  /** NHS test numbers (999…, NHS England's other 9… test numbers): accepted unless 'refuse'. */
  testNumbers?: 'allow' | 'refuse';
}

export interface RecordCheckResult<T extends NavRecord = NavRecord> {
  record?: T;
  issues: OperationOutcomeIssue[];
}

/** The schema of each record type (also exported as JSON Schema by scripts/export-json-schemas.ts). */
export const RECORD_SCHEMAS = {
  referral: referralSchema,
  assessment: assessmentSchema,
  'support-plan': supportPlanSchema,
  event: eventSchema,
} as const satisfies Record<RecordType, z.ZodType>;

/**
 * When the discriminator (assessment `tool`, event `type`) is missing or unknown zod stops at it; these
 * check the remaining common fields so those problems are reported in the same answer.
 */
const FALLBACK: Partial<Record<RecordType, { path: string; schema: z.ZodType }>> = {
  assessment: { path: 'tool', schema: assessmentCommonSchema },
  event: { path: 'type', schema: eventCommonSchema },
};

function schemaIssues(type: RecordType, input: unknown): { data?: unknown; issues: OperationOutcomeIssue[] } {
  const params = { error: recordErrorMap, reportInput: true } as const;
  const result = RECORD_SCHEMAS[type].safeParse(input, params);
  if (result.success) return { data: result.data, issues: [] };
  const issues = toOutcomeIssues(result.error.issues);
  const fallback = FALLBACK[type];
  const stoppedAtDiscriminator =
    fallback !== undefined &&
    result.error.issues.length === 1 &&
    result.error.issues[0]?.code === 'invalid_union' &&
    result.error.issues[0].path.join('.') === fallback.path;
  if (fallback && stoppedAtDiscriminator) {
    const more = fallback.schema.safeParse(input, params);
    if (!more.success) issues.push(...toOutcomeIssues(more.error.issues));
  }
  return { issues };
}

/**
 * Check one record of `type`. The record type comes from the caller (CLI argument, API route), not
 * from the record. `site` is required: a caller that supplies it out of band (`--site`) fills it in
 * first with `fillSite`. Issues name the record path (`goals[0].steps[1].id`) and never the value.
 */
export function checkRecord<T extends RecordType>(
  type: T,
  input: unknown,
  opts: RecordCheckOptions,
): RecordCheckResult<RecordOf[T]> {
  const { data, issues } = schemaIssues(type, input);
  issues.push(...checkRules(type, input, opts));
  if (hasErrors(issues) || data === undefined) return { issues };
  return { record: data as RecordOf[T], issues };
}

/** The record's own `site` wins; `site` fills it only where absent. Non-objects are returned as they are. */
export function fillSite(input: unknown, site: string | undefined): unknown {
  if (site === undefined || typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  if ((input as Record<string, unknown>).site !== undefined) return input;
  return { ...(input as Record<string, unknown>), site };
}

/**
 * A site records its assessments with one tool (site.yaml `assessmentTool`: a Wales site the Recovery
 * Plan, an English one the HNA): why an assessment with the other tool is refused, or undefined.
 */
export function siteToolProblem(
  type: RecordType,
  record: NavRecord,
  siteTool: AssessmentToolDefinition['id'],
): string | undefined {
  if (type !== 'assessment') return undefined;
  const tool = (record as Assessment).tool;
  if (tool === siteTool) return undefined;
  return `tool: this site records assessments with the ${ASSESSMENT_TOOLS[siteTool].title} (${siteTool}), not the ${ASSESSMENT_TOOLS[tool].title} (${tool})`;
}
