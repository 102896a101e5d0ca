// HL7 Gravity (SDOH Clinical Care STU3) coordination-platform role: onward referrals fill the source
// order; a completed referral Task hands back its outputs; every rejected, cancelled, on-hold or failed
// Task says why in statusReason.text; authoredOn survives every Task update.
import type { Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import { runMappingPipeline } from '../../../src/mapping/index.js';
import { recordFixture } from '../../support/fixtures.js';
import {
  type ContextPatch,
  contextFor,
  mappingFor,
  mapWith,
  only,
  SITE,
  validationErrors,
} from './helpers.js';

const REFERRAL_ID = 'REF-80';
const AT = '2026-02-25T12:00:00+00:00';
const RECEIVED = '2026-02-01T09:30:00+00:00';
const NS = SITE.identifierNamespace;

const PLAN = {
  id: 'PLAN-80',
  referralId: REFERRAL_ID,
  status: 'active',
  agreedAt: '2026-02-10T10:00:00+00:00',
  navigator: { name: 'Llŷr Davies' },
  crisisContacts: [],
  goals: [
    { id: 'G1', domain: 'finances', description: 'Budget', status: 'achieved', steps: [] },
    { id: 'G2', domain: 'mental-health', description: 'Therapy', status: 'in-progress', steps: [] },
  ],
  onwardReferrals: [
    { id: 'OR1', service: { name: 'StepChange', type: 'debt-advice' }, reason: 'Debts', date: '2026-02-10' },
  ],
};

async function taskOf(fields: Record<string, unknown>, patch: ContextPatch = {}): Promise<Task> {
  const bundle = await mapWith('event', { id: 'EVT-80', referralId: REFERRAL_ID, at: AT, ...fields }, patch);
  expect(validationErrors(bundle)).toEqual([]);
  const [task] = only(bundle, 'Task');
  if (!task) throw new Error('no Task');
  return task;
}

describe('Gravity: onward referrals', () => {
  it('are filler-orders basedOn the source ServiceRequest', async () => {
    const bundle = await mapWith('support-plan', PLAN);
    expect(validationErrors(bundle)).toEqual([]);
    const onward = only(bundle, 'ServiceRequest');
    expect(onward.map((sr) => [sr.intent, sr.basedOn])).toEqual([
      [
        'filler-order',
        [
          {
            reference: `ServiceRequest/${resourceId(SITE.id, 'ServiceRequest', REFERRAL_ID)}`,
            // And its business identifier: partners that assign their own ids resolve it by that.
            type: 'ServiceRequest',
            identifier: { system: `${SITE.identifierNamespace}/referral`, value: REFERRAL_ID },
          },
        ],
      ],
    ]);
  });
});

describe('Gravity: the onward Task', () => {
  it('one per onward referral: focus its ServiceRequest, partOf the referral Task, requested, authoredOn kept', async () => {
    const plan = {
      ...PLAN,
      onwardReferrals: [
        ...PLAN.onwardReferrals,
        {
          id: 'OR2',
          service: { name: 'Talking Therapies', type: 'counselling', odsCode: 'RGD' },
          reason: 'Low mood',
          date: '2026-02-12',
        },
      ],
    };
    const bundle = await mapWith('support-plan', plan);
    expect(validationErrors(bundle)).toEqual([]);
    const onward = only(bundle, 'ServiceRequest');
    const tasks = only(bundle, 'Task');
    expect(tasks).toHaveLength(2);
    // The referral Task, as the referral mapping writes it (and every event updates it).
    const { site: _site, ...input } = recordFixture('referral');
    const referral = await mapWith(
      'referral',
      { ...input, id: REFERRAL_ID },
      { triage: { outcome: 'accept' } },
    );
    const [referralTask] = only(referral, 'Task');
    for (const [i, task] of tasks.entries()) {
      const sr = onward[i]!;
      expect(task.focus).toEqual({ reference: `urn:uuid:${sr.id}` });
      expect(task.partOf).toEqual([
        {
          reference: `Task/${referralTask?.id}`,
          type: 'Task',
          identifier: referralTask?.identifier?.[0],
        },
      ]);
      expect([task.status, task.intent, task.code?.coding?.[0]?.code]).toEqual([
        'requested',
        'order',
        'fulfill',
      ]);
      expect(task.authoredOn).toBe(sr.authoredOn);
      expect(task.authoredOn).toBe(plan.onwardReferrals[i]!.date);
      expect(task.for).toEqual(sr.subject);
      expect(task.identifier).toEqual([
        { system: `${NS}/support-plan-onward-task`, value: `PLAN-80/${plan.onwardReferrals[i]!.id}` },
      ]);
    }
    // Owned by the service referred on to, requested by the navigator site.
    expect(tasks[1]?.owner).toEqual({
      display: 'Talking Therapies',
      type: 'Organization',
      identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RGD' },
    });
    expect(tasks[0]?.requester).toMatchObject({ type: 'Organization', display: SITE.name });
    // A later plan version keeps the Task's id and authoredOn.
    const v2 = await mapWith('support-plan', { ...plan, version: 2, agreedAt: '2026-02-20T10:00:00+00:00' });
    expect(only(v2, 'Task').map((t) => [t.id, t.authoredOn])).toEqual(tasks.map((t) => [t.id, t.authoredOn]));
  });

  it('is not requested again when the referral is discharged (the plan is re-sent completed without it)', async () => {
    const { bundle } = await runMappingPipeline(
      { mapping: (t) => mappingFor(t) },
      {
        recordType: 'event',
        record: {
          id: 'EVT-81',
          site: SITE.id,
          version: 1,
          referralId: REFERRAL_ID,
          at: AT,
          type: 'discharged',
          reason: 'mutual-agreement',
          summary: 'Done',
        },
        site: SITE,
        context: contextFor(
          'event',
          { id: 'EVT-81', referralId: REFERRAL_ID },
          { latestPlan: { ...PLAN, site: SITE.id, version: 1 } },
        ),
      },
    );
    const types = (bundle.entry ?? []).map((e) => e.resource?.resourceType);
    expect(types).toContain('ServiceRequest');
    const tasks = only(bundle, 'Task');
    expect(tasks.map((t) => t.identifier?.[0]?.system)).toEqual([`${NS}/referral-task`]);
  });
});

describe('Gravity: the completed referral Task carries its output', () => {
  it('the support plan, the goals achieved and the onward referrals made', async () => {
    const task = await taskOf(
      { type: 'discharged', reason: 'mutual-agreement', summary: 'Goals met' },
      { latestPlan: PLAN, referral: { state: { hasPlan: true } } },
    );
    expect(task.status).toBe('completed');
    expect(task.output?.map((o) => [o.type.coding?.[0]?.code, o.valueReference])).toEqual([
      ['support-plan', { type: 'CarePlan', identifier: { system: `${NS}/support-plan`, value: 'PLAN-80' } }],
      [
        'goal-achieved',
        { type: 'Goal', identifier: { system: `${NS}/support-plan-goal`, value: 'PLAN-80/G1' } },
      ],
      [
        'onward-referral',
        {
          type: 'ServiceRequest',
          identifier: { system: `${NS}/support-plan-onward-referral`, value: 'PLAN-80/OR1' },
        },
      ],
    ]);
  });

  it('has no output when the Task did not complete (non-engagement without a plan fails)', async () => {
    const task = await taskOf({ type: 'discharged', reason: 'non-engagement', summary: 'No contact' });
    expect(task.status).toBe('failed');
    expect(task.output).toBeUndefined();
  });
});

describe('Gravity: statusReason.text whenever rejected, cancelled, on hold or failed', () => {
  const held: ContextPatch = {
    referral: { state: { onHold: true, taskStatus: 'on-hold', businessStatus: 'consent-to-confirm' } },
  };
  it.each([
    ['rejected', { type: 'rejected', reason: 'not-eligible', detail: '' }, {}, 'rejected'],
    ['rejected (other)', { type: 'rejected', reason: 'other', detail: 'See note' }, {}, 'rejected'],
    ['withdrawn', { type: 'withdrawn' }, {}, 'cancelled'],
    ['contact attempted while held', { type: 'contact-attempted', method: 'phone' }, held, 'on-hold'],
    ['contacted while held, consent not yet given', { type: 'contacted', method: 'phone' }, held, 'on-hold'],
    [
      'contacted while held, consent refused',
      { type: 'contacted', method: 'phone', consentConfirmed: false },
      held,
      'rejected',
    ],
    [
      'non-engagement without a plan',
      { type: 'discharged', reason: 'non-engagement', summary: 'x' },
      {},
      'failed',
    ],
  ] as const)('%s', async (_name, fields, patch, status) => {
    const task = await taskOf(fields, patch as ContextPatch);
    expect(task.status).toBe(status);
    expect(task.statusReason?.text).toEqual(expect.any(String));
    expect(task.statusReason?.text?.length).toBeGreaterThan(3);
  });

  it('on a referral held at triage', async () => {
    const { site: _site, ...input } = recordFixture('referral');
    const bundle = await mapWith('referral', input, {
      triage: { outcome: 'hold', reason: 'consent-to-confirm' },
    });
    const [task] = only(bundle, 'Task');
    expect(task?.status).toBe('on-hold');
    expect(task?.statusReason?.text).toBe("On hold until the person's consent to the referral is confirmed");
  });
});

describe('Gravity: authoredOn kept on every Task update', () => {
  it('the referral Task is authored when the referral was received, and every event keeps it', async () => {
    const { site: _site, ...input } = recordFixture('referral');
    const bundle = await mapWith(
      'referral',
      { ...input, id: REFERRAL_ID },
      { triage: { outcome: 'accept' } },
    );
    const [created] = only(bundle, 'Task');
    expect(created?.authoredOn).toBe(input.receivedAt);
    for (const fields of [
      { type: 'contacted', method: 'phone' },
      { type: 'escalated', summary: 'Worse' },
      { type: 'discharged', reason: 'mutual-agreement', summary: 'Done' },
    ]) {
      const task = await taskOf(fields, { referral: { receivedAt: RECEIVED } });
      expect(task.authoredOn).toBe(RECEIVED);
      expect(task.lastModified).toBe(AT);
    }
  });
});
