// The referral Task status table (README "Task status"), row by row: each event type, with the
// referral's current state, gives Task.status, businessStatus and statusReason.
import type { Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import type { ReferralIdentity } from '../../../src/mapping/index.js';
import { type ContextPatch, mapWith, only, SITE, validationErrors } from './helpers.js';

const REFERRAL_ID = 'REF-77';
const AT = '2026-02-20T10:30:00+00:00';

interface Row {
  name: string;
  event: Record<string, unknown>;
  state?: Partial<ReferralIdentity['state']>;
  status: Task['status'];
  businessStatus: string;
  statusReason?: string;
}

const HELD = { taskStatus: 'on-hold', businessStatus: 'consent-to-confirm', onHold: true } as const;

const ROWS: Row[] = [
  { name: 'accepted', event: { type: 'accepted' }, status: 'accepted', businessStatus: 'accepted' },
  {
    name: 'contact-attempted',
    event: { type: 'contact-attempted', method: 'phone' },
    status: 'accepted',
    businessStatus: 'contact-attempted',
  },
  {
    name: 'contact-attempted on a held referral stays on hold',
    event: { type: 'contact-attempted', method: 'text' },
    state: HELD,
    status: 'on-hold',
    businessStatus: 'contact-attempted',
  },
  {
    name: 'contacted',
    event: { type: 'contacted', method: 'phone' },
    status: 'in-progress',
    businessStatus: 'contacted',
  },
  {
    name: 'contacted, consent refused, on a held referral → rejected no-consent',
    event: { type: 'contacted', method: 'phone', consentConfirmed: false },
    state: HELD,
    status: 'rejected',
    businessStatus: 'rejected',
    statusReason: 'no-consent',
  },
  {
    name: 'contacted, consent confirmed, on a held referral → hold lifted',
    event: { type: 'contacted', method: 'video', consentConfirmed: true },
    state: HELD,
    status: 'in-progress',
    businessStatus: 'contacted',
  },
  {
    name: 'contacted without a consent answer on a held referral stays on hold',
    event: { type: 'contacted', method: 'phone' },
    state: HELD,
    status: 'on-hold',
    businessStatus: 'contacted',
  },
  {
    name: 'contacted, consentConfirmed false on a referral not on hold is plain contact',
    event: { type: 'contacted', method: 'phone', consentConfirmed: false },
    status: 'in-progress',
    businessStatus: 'contacted',
  },
  {
    name: 'assessment-completed',
    event: { type: 'assessment-completed' },
    status: 'in-progress',
    businessStatus: 'assessment-completed',
  },
  {
    name: 'plan-agreed',
    event: { type: 'plan-agreed' },
    status: 'in-progress',
    businessStatus: 'plan-agreed',
  },
  {
    name: 'escalated',
    event: { type: 'escalated', summary: 'Low mood worse' },
    status: 'in-progress',
    businessStatus: 'escalated',
  },
  {
    name: 'outcome-recorded keeps the current businessStatus',
    event: { type: 'outcome-recorded', measure: 'wemwbs', score: 41 },
    state: { taskStatus: 'in-progress', businessStatus: 'plan-agreed', hasPlan: true },
    status: 'in-progress',
    businessStatus: 'plan-agreed',
  },
  {
    name: 'outcome-recorded keeps another current businessStatus',
    event: { type: 'outcome-recorded', measure: 'core-10', score: 30 },
    state: { taskStatus: 'in-progress', businessStatus: 'escalated' },
    status: 'in-progress',
    businessStatus: 'escalated',
  },
  {
    name: 'discharged by mutual agreement',
    event: { type: 'discharged', reason: 'mutual-agreement', summary: 'Goals met' },
    state: { taskStatus: 'in-progress', businessStatus: 'plan-agreed', hasPlan: true },
    status: 'completed',
    businessStatus: 'discharged',
    statusReason: 'mutual-agreement',
  },
  {
    name: 'discharged for non-engagement without a plan → failed',
    event: { type: 'discharged', reason: 'non-engagement', summary: 'No reply' },
    state: { hasPlan: false },
    status: 'failed',
    businessStatus: 'discharged',
    statusReason: 'non-engagement',
  },
  {
    name: 'discharged for non-engagement with a plan → completed',
    event: { type: 'discharged', reason: 'non-engagement', summary: 'Stopped replying' },
    state: { taskStatus: 'in-progress', businessStatus: 'plan-agreed', hasPlan: true },
    status: 'completed',
    businessStatus: 'discharged',
    statusReason: 'non-engagement',
  },
  {
    name: 'discharged, moved away, without a plan → completed',
    event: { type: 'discharged', reason: 'moved-away', summary: 'Moved to Cardiff' },
    status: 'completed',
    businessStatus: 'discharged',
    statusReason: 'moved-away',
  },
  ...(['in-crisis', 'no-consent', 'out-of-area', 'not-eligible', 'other'] as const).map(
    (reason): Row => ({
      name: `rejected (${reason})`,
      event: { type: 'rejected', reason, detail: 'Reason given to the referrer' },
      status: 'rejected',
      businessStatus: 'rejected',
      statusReason: reason,
    }),
  ),
  {
    name: 'withdrawn',
    event: { type: 'withdrawn' },
    status: 'cancelled',
    businessStatus: 'withdrawn',
    statusReason: 'withdrawn-by-referrer',
  },
  {
    name: 'entered-in-error of the referral',
    event: { type: 'entered-in-error', recordType: 'referral', recordId: REFERRAL_ID },
    status: 'entered-in-error',
    businessStatus: 'entered-in-error',
  },
];

describe('event mapping: referral Task status table', () => {
  it.each(ROWS)('$name', async (row) => {
    const patch: ContextPatch = { referral: { state: row.state ?? {} } };
    if (row.event.type === 'entered-in-error') {
      patch.target = {
        recordType: 'referral',
        id: REFERRAL_ID,
        resources: [{ resourceType: 'Task', subId: '' }],
      };
    }
    const bundle = await mapWith(
      'event',
      { id: 'EVT-1', referralId: REFERRAL_ID, at: AT, ...row.event },
      patch,
    );
    const tasks = only(bundle, 'Task');
    expect(tasks).toHaveLength(1);
    const task = tasks[0]!;
    // The one Task of the referral, whatever the event.
    expect(task.id).toBe(resourceId(SITE.id, 'Task', REFERRAL_ID, ''));
    expect(task.status).toBe(row.status);
    expect(task.businessStatus?.coding?.[0]?.code).toBe(row.businessStatus);
    expect(task.statusReason?.coding?.[0]?.code).toBe(row.statusReason);
    expect(task.lastModified).toBe(AT);
    expect(validationErrors(bundle)).toEqual([]);
    expect(task.focus?.reference).toBe(
      `ServiceRequest/${resourceId(SITE.id, 'ServiceRequest', REFERRAL_ID, '')}`,
    );
  });

  it('every event type has at least one row', () => {
    const types = new Set(ROWS.map((r) => r.event.type));
    for (const t of [
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
    ]) {
      expect(types.has(t), t).toBe(true);
    }
  });

  it('leaves the Task alone when a record other than the referral is retracted', async () => {
    const bundle = await mapWith(
      'event',
      {
        id: 'EVT-2',
        referralId: REFERRAL_ID,
        at: AT,
        type: 'entered-in-error',
        recordType: 'assessment',
        recordId: 'ASM-1',
      },
      {
        target: {
          recordType: 'assessment',
          id: 'ASM-1',
          resources: [{ resourceType: 'QuestionnaireResponse', subId: '' }],
        },
      },
    );
    expect(only(bundle, 'Task')).toHaveLength(0);
  });
});
