// Checks a QuestionnaireResponse against its Questionnaire, which medplum does not do: unknown linkIds,
// answer types, choice answers among the options, repeats, and required items (a required child only
// when its group is present; only for a completed or amended response, as R4 says: an in-progress or
// entered-in-error one may lack answers). enableWhen is not evaluated: navbridge's Questionnaires do not
// use it.
import type {
  OperationOutcomeIssue,
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  QuestionnaireResponseItemAnswer,
} from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import type { Terminology } from './validation-terminology.js';
import { isJsonObject } from './validation-types.js';

/** Statuses whose responses must answer every required item (R4 Questionnaire.item.required). */
const REQUIRED_ENFORCED: ReadonlySet<string> = new Set(['completed', 'amended']);

/** What every level of the walk shares. */
interface Walk {
  terminology: Terminology;
  enforceRequired: boolean;
  issues: OperationOutcomeIssue[];
}

/** Which `answer.value[x]` each item type takes (R4 Questionnaire item-type). */
const ANSWER_KEYS: Record<string, readonly string[]> = {
  boolean: ['valueBoolean'],
  decimal: ['valueDecimal'],
  integer: ['valueInteger'],
  date: ['valueDate'],
  dateTime: ['valueDateTime'],
  time: ['valueTime'],
  string: ['valueString'],
  text: ['valueString'],
  url: ['valueUri'],
  choice: ['valueCoding'],
  'open-choice': ['valueCoding', 'valueString'],
  attachment: ['valueAttachment'],
  reference: ['valueReference'],
  quantity: ['valueQuantity'],
};

export function checkQuestionnaireResponse(
  qr: QuestionnaireResponse,
  definition: readonly QuestionnaireItem[],
  terminology: Terminology,
  root = 'QuestionnaireResponse',
): OperationOutcomeIssue[] {
  const walk: Walk = { terminology, enforceRequired: REQUIRED_ENFORCED.has(qr.status), issues: [] };
  checkLevel(definition, qr.item ?? [], root, walk);
  return walk.issues;
}

function checkLevel(
  defs: readonly QuestionnaireItem[],
  items: readonly QuestionnaireResponseItem[],
  path: string,
  walk: Walk,
): void {
  const { issues } = walk;
  const byLinkId = new Map(defs.map((d) => [d.linkId, d]));
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const p = `${path}.item[${i}]`;
    const def = byLinkId.get(item.linkId);
    if (!def) {
      issues.push(
        issue({
          diagnostics: 'linkId is not an item of the Questionnaire at this level',
          expression: `${p}.linkId`,
        }),
      );
      return;
    }
    if (seen.has(def.linkId) && !def.repeats) {
      issues.push(issue({ diagnostics: `Item '${def.linkId}' does not repeat`, expression: p }));
    }
    seen.add(def.linkId);
    if (def.type === 'group') {
      if (item.answer?.length) {
        issues.push(
          issue({ diagnostics: `Group '${def.linkId}' cannot have answers`, expression: `${p}.answer` }),
        );
      }
      checkLevel(def.item ?? [], item.item ?? [], p, walk);
      return;
    }
    checkAnswers(def, item.answer ?? [], p, walk);
  });
  if (!walk.enforceRequired) return;
  for (const def of defs) {
    if (!def.required || def.type === 'display') continue;
    const present = items.some(
      (it) => it.linkId === def.linkId && (def.type === 'group' || it.answer?.length),
    );
    if (!present) {
      issues.push(
        issue({
          code: 'required',
          diagnostics: `Required item '${def.linkId}' is missing`,
          expression: `${path}.item`,
        }),
      );
    }
  }
}

function checkAnswers(
  def: QuestionnaireItem,
  answers: readonly QuestionnaireResponseItemAnswer[],
  path: string,
  walk: Walk,
): void {
  const { issues, terminology } = walk;
  if (answers.length > 1 && !def.repeats) {
    issues.push(
      issue({ diagnostics: `Item '${def.linkId}' takes one answer`, expression: `${path}.answer` }),
    );
  }
  const allowed = ANSWER_KEYS[def.type] ?? [];
  answers.forEach((answer, j) => {
    const a = `${path}.answer[${j}]`;
    const key = Object.keys(answer).find((k) => k.startsWith('value'));
    if (!key || !allowed.includes(key)) {
      issues.push(
        issue({
          diagnostics: `Answer type does not match item type '${def.type}'`,
          expression: key ? `${a}.${key}` : a,
        }),
      );
      return;
    }
    if (key === 'valueCoding' && !isAllowedChoice(def, answer.valueCoding, terminology)) {
      issues.push(
        issue({
          code: 'code-invalid',
          diagnostics: `Answer is not an option of item '${def.linkId}'`,
          expression: `${a}.valueCoding`,
        }),
      );
    }
    if (answer.item?.length) checkLevel(def.item ?? [], answer.item, a, walk);
  });
}

function isAllowedChoice(def: QuestionnaireItem, coding: unknown, terminology: Terminology): boolean {
  if (!isJsonObject(coding) || typeof coding.code !== 'string') return false;
  const system = typeof coding.system === 'string' ? coding.system : undefined;
  if (def.answerOption?.length) {
    return def.answerOption.some(
      (o) => o.valueCoding?.code === coding.code && (o.valueCoding?.system ?? undefined) === system,
    );
  }
  if (def.answerValueSet) {
    // Unexpandable ValueSets cannot be checked here; only a definite "not in it" is an error.
    return terminology.contains(def.answerValueSet, system, coding.code) !== false;
  }
  return true;
}
