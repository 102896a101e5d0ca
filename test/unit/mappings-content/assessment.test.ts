// The assessment mapping against the tools' own definitions: every item of every domain, for both
// tools, lands on its Questionnaire linkId with the answer type of its item, and the result is valid
// against the profile and the shipped Questionnaire.
import type { QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { QUESTIONNAIRES } from '../../../src/fhir/canonical.js';
import { resourceId } from '../../../src/fhir/ids.js';
import {
  ASSESSMENT_TOOLS,
  type AssessmentToolDefinition,
  type ToolItem,
} from '../../../src/records/assessment-tools.js';
import { profileValidator } from '../../support/validator.js';
import { mapWith, NHS_NUMBER, only, SITE } from './helpers.js';

const validator = profileValidator();
const TEXT = 'Siobhán and Llŷr 🙂';

const answerFor = (item: ToolItem): string | boolean =>
  item.type === 'boolean' ? true : item.type === 'choice' ? item.options![item.options!.length - 1]! : TEXT;

/** A record answering every item of every domain of the tool. */
function fullAssessment(tool: AssessmentToolDefinition) {
  return {
    id: `ASM-${tool.id}`,
    referralId: 'REF-5',
    tool: tool.id,
    completedAt: '2026-02-27T14:00:00+00:00',
    navigator: { name: 'Siobhán', id: 'NAV-1' },
    consent: { confidentialityDiscussed: true, assessmentConsent: false },
    diagnoses: ['ptsd', 'other'],
    riskFactors: TEXT,
    domains: tool.domains.map((d) => ({
      domain: d.code,
      notes: TEXT,
      needIdentified: true,
      priority: 'medium',
      answers: Object.fromEntries(d.items.map((i) => [i.key, answerFor(i)])),
    })),
  };
}

const flatten = (items: QuestionnaireResponseItem[] = []): QuestionnaireResponseItem[] =>
  items.flatMap((i) => [i, ...flatten(i.item)]);

describe.each(Object.values(ASSESSMENT_TOOLS))('assessment mapping: $id', (tool) => {
  it('answers every item on its linkId with the value type of the item, and validates', async () => {
    const bundle = await mapWith('assessment', fullAssessment(tool), {
      referral: { patient: { identifiers: [NHS_NUMBER] } },
    });
    const [qr] = only(bundle, 'QuestionnaireResponse') as [QuestionnaireResponse];
    expect(qr.questionnaire).toBe(QUESTIONNAIRES[tool.id]);
    expect(qr.subject).toEqual({ type: 'Patient', identifier: NHS_NUMBER });
    expect(qr.basedOn?.[0]?.reference).toBe(
      `ServiceRequest/${resourceId(SITE.id, 'ServiceRequest', 'REF-5')}`,
    );
    const byLinkId = new Map(flatten(qr.item).map((i) => [i.linkId, i]));
    for (const domain of tool.domains) {
      expect(byLinkId.get(`${domain.code}.need-identified`)?.answer).toEqual([{ valueBoolean: true }]);
      expect(byLinkId.get(`${domain.code}.priority`)?.answer?.[0]?.valueCoding?.code).toBe('medium');
      expect(byLinkId.get(`${domain.code}.notes`)?.answer).toEqual([{ valueString: TEXT }]);
      for (const item of domain.items) {
        const answer = byLinkId.get(`${domain.code}.${item.key}`)?.answer;
        if (item.type === 'boolean') expect(answer).toEqual([{ valueBoolean: true }]);
        else if (item.type === 'choice') expect(answer?.[0]?.valueCoding?.code).toBe(answerFor(item));
        else expect(answer).toEqual([{ valueString: TEXT }]);
      }
    }
    expect(byLinkId.get('consent.assessment-consent')?.answer).toEqual([{ valueBoolean: false }]);
    expect(byLinkId.get('diagnoses')?.answer?.map((a) => a.valueCoding?.code)).toEqual(['ptsd', 'other']);
    expect(byLinkId.get('risk-factors')?.answer).toEqual([{ valueString: TEXT }]);
    const errors = validator.validateBundle(bundle).filter((i) => i.severity === 'error');
    expect(errors.map((i) => `${i.expression}: ${i.diagnostics}`)).toEqual([]);
  });

  it('leaves out what was not recorded (no empty answers) and still validates', async () => {
    const minimal = {
      ...fullAssessment(tool),
      diagnoses: [],
      riskFactors: undefined,
      domains: [{ domain: tool.domains[0]!.code, notes: '', needIdentified: false }],
    };
    const bundle = await mapWith('assessment', minimal);
    const [qr] = only(bundle, 'QuestionnaireResponse') as [QuestionnaireResponse];
    expect(qr.item?.map((i) => i.linkId)).toEqual(['consent', tool.domains[0]!.code]);
    expect(flatten(qr.item).map((i) => i.linkId)).toContain(`${tool.domains[0]!.code}.need-identified`);
    expect(flatten(qr.item).every((i) => i.item !== undefined || (i.answer?.length ?? 0) > 0)).toBe(true);
    expect(validator.validateBundle(bundle).filter((i) => i.severity === 'error')).toEqual([]);
  });
});
