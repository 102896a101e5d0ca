// Outcome measures as they are scored: each measure's real range and shape, checked before mapping.
// Scores only — the instruments' wording is licensed and not shipped (ONS4's questions are Crown
// copyright under the Open Government Licence; their short labels are used here).
// The `outcome-measure` and `outcome-measure-item` CodeSystems (profiles/) and code tables list the
// same codes (test/unit/mappings-content/outcome-measures.test.ts checks it).
import { z } from 'zod';
import type { OUTCOME_MEASURES } from './codes.js';
import { commonFields, isoInstant, name, sourceId } from './primitives.js';

export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];

export interface MeasureItem {
  key: string;
  display: string;
}

export interface MeasureDefinition {
  id: OutcomeMeasure;
  /** One total score, an integer in [min, max]. */
  total?: { min: number; max: number };
  /** Scores per item (`items`) or per domain (`domains`), every one given, integers in [min, max]. */
  parts?: { field: 'items' | 'domains'; min: number; max: number; list: readonly MeasureItem[] };
  /** A LOINC code for the total, only where verified against LOINC's own entry. */
  loinc?: { code: string; display: string };
}

const item = (key: string, display: string): MeasureItem => ({ key, display });

export const MEASURES: Readonly<Record<Exclude<OutcomeMeasure, 'other'>, MeasureDefinition>> = {
  'recovery-star': {
    id: 'recovery-star',
    // The Mental Health Recovery Star's ten areas, each scored 1–10 on its Journey of Change.
    parts: {
      field: 'domains',
      min: 1,
      max: 10,
      list: [
        item('managing-mental-health', 'Managing mental health'),
        item('physical-health-self-care', 'Physical health and self-care'),
        item('living-skills', 'Living skills'),
        item('social-networks', 'Social networks'),
        item('work', 'Work'),
        item('relationships', 'Relationships'),
        item('addictive-behaviour', 'Addictive behaviour'),
        item('responsibilities', 'Responsibilities'),
        item('identity-self-esteem', 'Identity and self-esteem'),
        item('trust-hope', 'Trust and hope'),
      ],
    },
  },
  // 14 items scored 1–5.
  wemwbs: { id: 'wemwbs', total: { min: 14, max: 70 } },
  // 7 items scored 1–5 (the raw score; its metric conversion is not a record value).
  swemwbs: { id: 'swemwbs', total: { min: 7, max: 35 } },
  // 10 items scored 0–4.
  'core-10': { id: 'core-10', total: { min: 0, max: 40 } },
  'phq-9': {
    id: 'phq-9',
    total: { min: 0, max: 27 },
    loinc: { code: '44261-6', display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]' },
  },
  'gad-7': {
    id: 'gad-7',
    total: { min: 0, max: 21 },
    loinc: {
      code: '70274-6',
      display: 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]',
    },
  },
  // ONS personal well-being: four questions, each 0–10; there is no total.
  ons4: {
    id: 'ons4',
    parts: {
      field: 'items',
      min: 0,
      max: 10,
      list: [
        item('life-satisfaction', 'Life satisfaction'),
        item('worthwhile', 'Things done in life are worthwhile'),
        item('happiness', 'Happiness yesterday'),
        item('anxiety', 'Anxiety yesterday'),
      ],
    },
  },
  // ReQoL-10: ten items scored 0–4 (the physical-health item is not part of the score).
  'reqol-10': { id: 'reqol-10', total: { min: 0, max: 40 } },
  // DIALOG: satisfaction with 8 life domains and 3 treatment aspects, each 1–7.
  dialog: {
    id: 'dialog',
    parts: {
      field: 'items',
      min: 1,
      max: 7,
      list: [
        item('mental-health', 'Mental health'),
        item('physical-health', 'Physical health'),
        item('job-situation', 'Job situation'),
        item('accommodation', 'Accommodation'),
        item('leisure-activities', 'Leisure activities'),
        item('friendships', 'Friendships'),
        item('partner-family', 'Relationship with partner or family'),
        item('personal-safety', 'Personal safety'),
        item('medication', 'Medication'),
        item('practical-help', 'Practical help received'),
        item('meetings-with-professionals', 'Meetings with mental health professionals'),
      ],
    },
  },
};

/** The `outcome-measure-item` code of a part: `<measure>.<key>`. */
export const measureItemCode = (measure: OutcomeMeasure, key: string): string => `${measure}.${key}`;

const scoreIn = (min: number, max: number) =>
  z
    .number()
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

function measureSchema(m: MeasureDefinition) {
  const base = {
    ...commonFields,
    referralId: sourceId,
    at: isoInstant,
    type: z.literal('outcome-recorded'),
    measure: z.literal(m.id),
  };
  if (m.total) return z.object({ ...base, score: scoreIn(m.total.min, m.total.max) }).strict();
  const parts = m.parts;
  if (!parts) throw new Error(`measure ${m.id} has neither a total nor parts`);
  const shape = Object.fromEntries(parts.list.map((i) => [i.key, scoreIn(parts.min, parts.max)]));
  return z.object({ ...base, [parts.field]: z.object(shape).strict() }).strict();
}

/** outcome-recorded, one variant per measure (`other`: any finite score, with the measure's name). */
export function outcomeRecordedSchema() {
  const other = z
    .object({
      ...commonFields,
      referralId: sourceId,
      at: isoInstant,
      type: z.literal('outcome-recorded'),
      measure: z.literal('other'),
      /** The measure's name when `measure` is `other`. */
      measureName: name.optional(),
      score: z.number().finite(),
    })
    .strict();
  const variants = Object.values(MEASURES).map(measureSchema);
  return z.discriminatedUnion('measure', [other, ...variants]);
}
