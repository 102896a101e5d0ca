// The `assessment` record (holistic needs assessment), one schema variant per tool: a domain must be
// one of its tool's domains and its `answers` must be that domain's items (assessment-tools.ts).
import { z } from 'zod';
import {
  type AnswerType,
  type AssessmentToolDefinition,
  DIAGNOSES,
  HNA,
  PRIORITIES,
  type ToolDomain,
  type ToolItem,
  WALES_RECOVERY_PLAN,
} from './assessment-tools.js';
import { code, codeList, commonFields, isoInstant, MAX, sourceId, staffSchema, text } from './primitives.js';

const SHORT_ANSWER_MAX = 200;

function answerSchema(item: ToolItem): z.ZodType<string | boolean> {
  const kinds: Record<AnswerType, () => z.ZodType<string | boolean>> = {
    boolean: () => z.boolean(),
    string: () => z.string().max(SHORT_ANSWER_MAX),
    text: () => z.string().max(MAX.text),
    choice: () => z.enum((item.options ?? []) as [string, ...string[]]),
  };
  return kinds[item.type]();
}

function domainSchema(domain: ToolDomain) {
  const answers: Record<string, z.ZodOptional<z.ZodType<string | boolean>>> = {};
  for (const item of domain.items) answers[item.key] = answerSchema(item).optional();
  return z
    .object({
      domain: z.literal(domain.code),
      notes: text,
      needIdentified: z.boolean(),
      priority: code(PRIORITIES).optional(),
      answers: z.object(answers).strict().optional(),
    })
    .strict();
}

type DomainSchema = ReturnType<typeof domainSchema>;

function assessmentVariant<T extends AssessmentToolDefinition['id']>(
  tool: AssessmentToolDefinition & { id: T },
) {
  const domains = tool.domains.map(domainSchema) as unknown as [DomainSchema, ...DomainSchema[]];
  return z
    .object({
      ...commonFields,
      referralId: sourceId,
      tool: z.literal(tool.id as T),
      completedAt: isoInstant,
      navigator: staffSchema,
      consent: z.object({ confidentialityDiscussed: z.boolean(), assessmentConsent: z.boolean() }).strict(),
      /** The tool's diagnosis tick list. */
      diagnoses: codeList(DIAGNOSES),
      riskFactors: text.optional(),
      domains: z.array(z.discriminatedUnion('domain', domains)).max(tool.domains.length),
    })
    .strict();
}

export const hnaAssessmentSchema = assessmentVariant(HNA as AssessmentToolDefinition & { id: 'hna' });
export const walesAssessmentSchema = assessmentVariant(
  WALES_RECOVERY_PLAN as AssessmentToolDefinition & { id: 'wales-recovery-plan' },
);
export const assessmentSchema = z.discriminatedUnion('tool', [hnaAssessmentSchema, walesAssessmentSchema]);

/**
 * The tool-independent fields: checked on their own when `tool` is missing or unknown, so that the
 * caller still hears about every other problem at once.
 */
export const assessmentCommonSchema = hnaAssessmentSchema
  .omit({ tool: true, domains: true })
  .extend({ tool: z.unknown(), domains: z.array(z.unknown()) })
  .strict();

export type Assessment = z.output<typeof assessmentSchema>;
export type AssessmentDomain = Assessment['domains'][number];
