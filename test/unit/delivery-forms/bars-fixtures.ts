// navbridge's BaRS messages for tests: the answer to a referral (servicerequest-response) and an
// onward referral (servicerequest-request), built as the service builds them (barsContext) from what
// the requester sent — navbridge's own fixtures or the real examples (test/conformance).
import type { Bundle, CarePlan, Consent, Patient, Resource } from 'fhir/r4.js';
import type { BarsRequest } from '../../../src/intake/bars-request.js';
import { buildPayload } from '../../../src/payloads/delivery-forms.js';
import { routeBundle } from '../../../src/routing/index.js';
import { barsContext } from '../../../src/service/bars-context.js';
import type { PartnerConfig } from '../../../src/settings/app-config.js';
import type { SiteSettings } from '../../../src/settings/site.js';
import type { ReferralRequester } from '../../../src/store/referrals.js';
import { recordFixture } from '../../support/fixtures.js';
import { SITE } from '../mappings-content/helpers.js';
import { golden, partner, referralBundle } from '../routing/fixtures.js';

export const BARS_SITE = { ...SITE, dosServiceIds: ['2000011111'] };
export const REFERRER = partner('referrer', {
  kind: 'trust',
  odsCodes: ['RND'],
  receives: ['referral-status'],
  mode: 'message',
  dosServiceId: '2000022222',
});
export const ONWARD = partner('onward', {
  kind: 'community-service',
  odsCodes: ['RGD'],
  receives: ['onward-referral'],
  mode: 'message',
  dosServiceId: '2000099999',
});

const opts = (p: PartnerConfig, recordType: string, sourceId: string) => ({
  partner: p,
  site: BARS_SITE.id,
  recordType,
  sourceId,
  version: 1,
  exchangeKey: `${BARS_SITE.id}|${recordType}|${sourceId}|1|${p.id}`,
  now: '2026-03-02T09:00:00Z',
  bundleId: '0f6b3c1e-2d4a-5b6c-8d7e-9f0a1b2c3d4e',
});

/** The answer to a referral that came with `received` (its requester's BaRS request). */
export async function barsResponse(received: BarsRequest & Omit<ReferralRequester, keyof BarsRequest>) {
  const referral = await referralBundle();
  const record = recordFixture<{ id: string; site: string }>('referral');
  const [route] = routeBundle({
    recordType: 'referral',
    record,
    bundle: referral,
    referral: undefined,
    partners: [REFERRER],
  });
  const bars = barsContext(BARS_SITE, record.id, { requester: received });
  return buildPayload('message', route?.resources ?? [], { ...opts(REFERRER, 'referral', record.id), bars });
}

/**
 * An onward referral from the support plan, carrying the person's Patient as the referral maps it
 * and the support plan it comes from (to `over.partner`, from `over.site`: by default ONWARD from
 * BARS_SITE; `over.noPlan`: without the plan; `over.consent`: a Consent the plan's mapping wrote).
 */
export async function barsOnwardRequest(
  received: ReferralRequester = {},
  over: { partner?: PartnerConfig; site?: SiteSettings; noPlan?: boolean; consent?: Consent } = {},
) {
  const to = over.partner ?? ONWARD;
  const from = over.site ?? BARS_SITE;
  const referral = await referralBundle();
  const mapped = referral.entry?.map((e) => e.resource).find((r) => r?.resourceType === 'Patient') as Patient;
  // The person of the plan's referral (REF-1001 in the goldens), as the referral mapping writes them.
  const patient: Patient = {
    ...mapped,
    identifier: [
      ...(mapped.identifier ?? []),
      { system: 'https://fhir.navbridge.org.uk/Id/leeds-north/patient', value: 'REF-1001' },
    ],
  };
  // The support plan the onward referral comes from, as the service takes it from the mapped plan.
  const plan = golden('support-plan', 'plan-v1')
    .entry?.map((e) => e.resource)
    .find((r) => r?.resourceType === 'CarePlan') as CarePlan;
  const bars = barsContext(from, 'REF-3001', {
    requester: received,
    patient,
    ...(over.noPlan ? {} : { plan }),
    ...(over.consent ? { consent: over.consent } : {}),
  });
  return buildPayload('message', onwardRouteResources(to), {
    ...opts(to, 'support-plan', 'PLAN-3001'),
    bars,
  });
}

/** What routing sends an onward service (ODS RGD) of the plan-v1 golden: its onward referral. */
export function onwardRouteResources(p: PartnerConfig): Resource[] {
  const [route] = routeBundle({
    recordType: 'support-plan',
    record: {
      id: 'PLAN-3001',
      site: 'leeds-north',
      onwardReferrals: [{ id: 'OR2', service: { odsCode: 'RGD' } }],
    },
    bundle: golden('support-plan', 'plan-v1'),
    referral: { sharing: { withOnwardServices: true } },
    partners: [p],
  });
  return route?.resources ?? [];
}

export const resourcesOf = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as Resource);
