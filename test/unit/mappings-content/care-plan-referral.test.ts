// The support plan's CarePlan names the referral it answers in supportingInfo, not basedOn: R4
// CarePlan.basedOn takes Reference(CarePlan) only. The discharge update of the same CarePlan agrees.
import type { Bundle, CarePlan } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import { profileValidator } from '../../support/validator.js';
import { mapWith, only, SITE } from './helpers.js';

const REFERRAL_ID = 'REF-70';
const PLAN = {
  id: 'PLAN-70',
  referralId: REFERRAL_ID,
  status: 'active',
  agreedAt: '2026-02-10T10:00:00+00:00',
  navigator: { name: 'Llŷr Davies' },
  crisisContacts: [{ name: 'NHS 111', phone: '111', hours: '24 hours' }],
  goals: [{ id: 'G1', domain: 'finances', description: 'Budget', status: 'in-progress', steps: [] }],
  onwardReferrals: [],
};

const validator = profileValidator();
/** Every issue (warnings too) the validator reports on the Bundle's CarePlan entries. */
function carePlanIssues(bundle: Bundle): string[] {
  const entries = new Set(
    (bundle.entry ?? []).flatMap((e, i) => (e.resource?.resourceType === 'CarePlan' ? [i] : [])),
  );
  return validator
    .validateBundle(bundle)
    .filter((i) => [...entries].some((n) => i.expression?.[0]?.startsWith(`Bundle.entry[${n}]`)))
    .map((i) => `${i.severity} ${String(i.expression)}: ${i.diagnostics}`);
}

function expectReferralLink(plan: CarePlan | undefined) {
  expect(plan?.basedOn).toBeUndefined();
  expect(plan?.supportingInfo).toEqual([
    {
      reference: `ServiceRequest/${resourceId(SITE.id, 'ServiceRequest', REFERRAL_ID)}`,
      // The referral's business identifier too: partners that assign their own ids resolve it by that.
      type: 'ServiceRequest',
      identifier: { system: `${SITE.identifierNamespace}/referral`, value: REFERRAL_ID },
    },
  ]);
}

describe('CarePlan → referral link', () => {
  it('support-plan mapping: supportingInfo references the referral, and the CarePlan has no issues', async () => {
    const bundle = await mapWith('support-plan', PLAN);
    expectReferralLink(only(bundle, 'CarePlan')[0]);
    expect(carePlanIssues(bundle)).toEqual([]);
  });

  it('discharged event: the closed CarePlan links the referral the same way', async () => {
    const bundle = await mapWith(
      'event',
      {
        id: 'EVT-70',
        referralId: REFERRAL_ID,
        at: '2026-02-25T12:00:00+00:00',
        type: 'discharged',
        reason: 'mutual-agreement',
        summary: 'Goals met',
      },
      { latestPlan: { site: SITE.id, version: 1, ...PLAN } },
    );
    const plans = only(bundle, 'CarePlan');
    expect(plans.map((p) => p.id)).toEqual([resourceId(SITE.id, 'CarePlan', PLAN.id)]);
    expectReferralLink(plans[0]);
    expect(carePlanIssues(bundle)).toEqual([]);
  });
});
