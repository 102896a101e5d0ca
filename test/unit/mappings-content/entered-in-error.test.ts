// entered-in-error: the retracted record's resources come back under their original ids (the ids the
// record's own mapping gave them) with status entered-in-error; nothing else is touched.
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import { mapWith, resources, SITE, validationErrors } from './helpers.js';

const REFERRAL_ID = 'REF-40';
const AT = '2026-02-25T12:00:00+00:00';

const retract = (
  recordType: string,
  recordId: string,
  targetResources: { resourceType: string; subId: string }[],
) =>
  mapWith(
    'event',
    { id: 'EVT-ERR', referralId: REFERRAL_ID, at: AT, type: 'entered-in-error', recordType, recordId },
    { target: { recordType: recordType as 'support-plan', id: recordId, resources: targetResources } },
  );

/** Every retraction must still be valid against its profiles (they require more than the status). */
async function retractValid(...args: Parameters<typeof retract>) {
  const bundle = await retract(...args);
  expect(validationErrors(bundle)).toEqual([]);
  return bundle;
}

const statusOf = (r: FhirResource): string | undefined =>
  r.resourceType === 'Goal' ? r.lifecycleStatus : (r as { status?: string }).status;

const idsByType = (b: Bundle) =>
  resources(b)
    .map((r) => `${r.resourceType}/${r.id}`)
    .sort();

describe('event mapping: entered-in-error', () => {
  it('retracts a support plan: CarePlan, every Goal, onward ServiceRequest and its Task, under the same ids', async () => {
    const original = await mapWith('support-plan', {
      id: 'PLAN-40',
      referralId: REFERRAL_ID,
      status: 'active',
      agreedAt: '2026-02-10T10:00:00+00:00',
      navigator: { name: 'Llŷr Davies' },
      crisisContacts: [],
      goals: [
        { id: 'G1', domain: 'finances', description: 'Budget', status: 'in-progress', steps: [] },
        { id: 'G2', domain: 'mental-health', description: 'Therapy', status: 'proposed', steps: [] },
      ],
      onwardReferrals: [
        {
          id: 'OR1',
          service: { name: 'StepChange', type: 'debt-advice' },
          reason: 'Debts',
          date: '2026-02-10',
        },
      ],
    });
    const retraction = await retractValid('support-plan', 'PLAN-40', [
      { resourceType: 'CarePlan', subId: '' },
      { resourceType: 'Goal', subId: 'G1' },
      { resourceType: 'Goal', subId: 'G2' },
      { resourceType: 'ServiceRequest', subId: 'OR1' },
      { resourceType: 'Task', subId: 'OR1' },
    ]);
    expect(idsByType(retraction)).toEqual(idsByType(original));
    for (const r of resources(retraction)) expect(statusOf(r), r.resourceType).toBe('entered-in-error');
    // The referral's Task is not changed by retracting a plan: the only Task is the onward one.
    const tasks = resources(retraction).filter((r) => r.resourceType === 'Task');
    expect(tasks.map((t) => (t as { identifier?: { system?: string }[] }).identifier?.[0]?.system)).toEqual([
      'https://id.example.org/content-test/support-plan-onward-task',
    ]);
  });

  it('retracts an assessment: its QuestionnaireResponse', async () => {
    const original = await mapWith('assessment', {
      id: 'ASM-40',
      referralId: REFERRAL_ID,
      tool: 'hna',
      completedAt: '2026-02-12T10:00:00+00:00',
      navigator: { name: 'Siobhán' },
      consent: { confidentialityDiscussed: true, assessmentConsent: true },
      diagnoses: [],
      domains: [],
    });
    const retraction = await retractValid('assessment', 'ASM-40', [
      { resourceType: 'QuestionnaireResponse', subId: '' },
    ]);
    expect(idsByType(retraction)).toEqual(idsByType(original));
    expect(resources(retraction).map(statusOf)).toEqual(['entered-in-error']);
  });

  it("names the retracted assessment's own tool's Questionnaire, not the site's current tool", async () => {
    const target = {
      recordType: 'assessment' as const,
      id: 'ASM-41',
      resources: [{ resourceType: 'QuestionnaireResponse', subId: '' }],
    };
    const retractWith = (tool?: 'hna' | 'wales-recovery-plan') =>
      mapWith(
        'event',
        {
          id: 'EVT-ERR',
          referralId: REFERRAL_ID,
          at: AT,
          type: 'entered-in-error',
          recordType: 'assessment',
          recordId: 'ASM-41',
        },
        { target: tool ? { ...target, tool } : target },
      );
    const questionnaireOf = (b: Bundle) => (resources(b)[0] as { questionnaire?: string }).questionnaire;
    // SITE records HNAs; the retracted assessment was a Recovery Plan (e.g. before the site changed tool).
    const wales = await retractWith('wales-recovery-plan');
    expect(questionnaireOf(wales)).toBe('https://fhir.navbridge.org.uk/Questionnaire/wales-recovery-plan');
    expect(validationErrors(wales)).toEqual([]);
    expect(questionnaireOf(await retractWith())).toBe(
      `https://fhir.navbridge.org.uk/Questionnaire/${SITE.assessmentTool}`,
    );
  });

  it.each([
    ['escalated', { type: 'escalated', summary: 'Worse' }, 'Communication'],
    ['discharged', { type: 'discharged', reason: 'moved-away', summary: 'Moved' }, 'Communication'],
    ['outcome-recorded', { type: 'outcome-recorded', measure: 'swemwbs', score: 21 }, 'Observation'],
  ])('retracts a %s event: its %s, not the Task', async (_name, fields, resourceType) => {
    const original = await mapWith('event', { id: 'EVT-40', referralId: REFERRAL_ID, at: AT, ...fields });
    const produced = resources(original).find((r) => r.resourceType === resourceType);
    const retraction = await retractValid('event', 'EVT-40', [{ resourceType, subId: '' }]);
    expect(resources(retraction).map((r) => [r.resourceType, r.id, statusOf(r)])).toEqual([
      [resourceType, produced?.id, 'entered-in-error'],
    ]);
  });

  it('retracts a referral: the Task, the ServiceRequest and its Flags, but not the Patient', async () => {
    const retraction = await retractValid('referral', REFERRAL_ID, [
      { resourceType: 'Patient', subId: '' },
      { resourceType: 'ServiceRequest', subId: '' },
      { resourceType: 'Organization', subId: 'requester' },
      { resourceType: 'PractitionerRole', subId: 'requester' },
      { resourceType: 'Flag', subId: 'risk-to-self' },
      { resourceType: 'Flag', subId: 'communication-large-print' },
      { resourceType: 'Task', subId: '' },
    ]);
    const id = (t: string, sub = '') => resourceId(SITE.id, t, REFERRAL_ID, sub);
    expect(resources(retraction).map((r) => [r.resourceType, r.id, statusOf(r)])).toEqual([
      ['Task', id('Task'), 'entered-in-error'],
      ['ServiceRequest', id('ServiceRequest'), 'entered-in-error'],
      ['Flag', id('Flag', 'risk-to-self'), 'entered-in-error'],
      ['Flag', id('Flag', 'communication-large-print'), 'entered-in-error'],
    ]);
    const flags = resources(retraction).filter((r) => r.resourceType === 'Flag');
    expect(flags.map((f) => f.category?.[0]?.coding?.[0]?.code)).toEqual([
      'risk-to-self',
      'communication-need',
    ]);
  });
});
