import type { Bundle, CarePlan, Resource } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { urnReferences } from '../../../src/payloads/references.js';
import {
  type Route,
  type RouteInput,
  routeBundle,
  type SharingAgreement,
} from '../../../src/routing/index.js';
import { type PartnerConfig, RECEIVES } from '../../../src/settings/app-config.js';
import { recordFixture } from '../../support/fixtures.js';
import { golden, goldenInput, partner, referralBundle, typesOf } from './fixtures.js';

interface ReferralLike {
  id: string;
  site: string;
  referrer: { odsCode?: string };
  person: { gpPracticeOds?: string; nhsNumber?: string; name: { family: string } };
  sharing?: SharingAgreement;
}
const referralRecord = recordFixture<ReferralLike>('referral');
const plan = goldenInput<{
  id: string;
  site: string;
  onwardReferrals: { id: string; service: { odsCode?: string } }[];
}>('support-plan', 'plan-v1');

/** The referral with a given sharing agreement (undefined = the person agreed to nothing). */
const referralWith = (
  sharing: SharingAgreement | undefined,
  gpPracticeOds = 'B86016',
  referrerOds = 'RR801',
) => ({
  ...referralRecord,
  referrer: { ...referralRecord.referrer, odsCode: referrerOds },
  person: { ...referralRecord.person, gpPracticeOds },
  sharing,
});

const TRUST = partner('leeds-trust', { kind: 'trust', odsCodes: ['RR801'], receives: [...RECEIVES] });
const GP = partner('chapel-allerton', {
  kind: 'gp-practice',
  odsCodes: ['B86016'],
  receives: [...RECEIVES],
});
const THERAPIES = partner('leeds-therapies', {
  kind: 'community-service',
  odsCodes: ['RGD'],
  receives: ['onward-referral'],
});

const byPartner = (routes: Route[], id: string | null, decision: Route['decision']) =>
  routes.find((r) => r.partnerId === id && r.decision === decision);

function planRoutes(
  sharing: SharingAgreement | undefined,
  partners: PartnerConfig[] = [TRUST, GP, THERAPIES],
) {
  return routeBundle({
    recordType: 'support-plan',
    record: plan,
    bundle: golden('support-plan', 'plan-v1'),
    referral: referralWith(sharing),
    partners,
  });
}

/** Every urn:uuid reference in a route resolves to a resource of that route. */
function danglingReferences(route: Route): string[] {
  const urls = new Set(route.resources.map((r) => `urn:uuid:${r.id}`));
  return route.resources.flatMap((r) => urnReferences(r)).filter((u) => !urls.has(u));
}

describe('referral records', () => {
  let bundle: Bundle;
  beforeAll(async () => {
    bundle = await referralBundle();
  });

  it('merges roles when one partner is both referrer and GP, with the supporting resources the Task references', () => {
    const gpAsReferrer = partner('chapel-allerton', {
      kind: 'gp-practice',
      odsCodes: ['B86016'],
      receives: ['referral-status'],
    });
    const routes = routeBundle({
      recordType: 'referral',
      record: referralRecord,
      bundle,
      referral: referralRecord,
      partners: [gpAsReferrer],
    });
    expect(routes).toHaveLength(1);
    const [route] = routes;
    expect(route).toMatchObject({
      partnerId: 'chapel-allerton',
      roles: ['referrer', 'gp'],
      decision: 'send',
      stateKey: null,
    });
    // Task → Patient, ServiceRequest, PractitionerRole → Organization; Flags reference nothing routed-to.
    expect(typesOf(route?.resources ?? []).sort()).toEqual(
      ['Organization', 'Patient', 'PractitionerRole', 'ServiceRequest', 'Task'].sort(),
    );
    expect(danglingReferences(route as Route)).toEqual([]);
  });

  it('uses the referral record itself when no referral is passed', () => {
    const routes = routeBundle({
      recordType: 'referral',
      record: referralRecord,
      bundle,
      referral: undefined,
      partners: [GP],
    });
    expect(routes.map((r) => [r.partnerId, r.decision])).toEqual([['chapel-allerton', 'send']]);
  });

  it('prefers the partner that sent the referral over an ODS match', () => {
    const other = partner('a-sender', { kind: 'trust', receives: ['referral-status'] });
    const routes = routeBundle({
      recordType: 'referral',
      record: referralRecord,
      bundle,
      referral: referralWith({ statusUpdates: true }),
      sourcePartnerId: 'a-sender',
      partners: [TRUST, GP, other],
    });
    expect(routes.map((r) => [r.partnerId, r.roles, r.decision])).toEqual([
      ['a-sender', ['referrer'], 'send'],
      ['chapel-allerton', ['gp'], 'send'],
    ]);
  });

  it('withholds status from referrer and GP when the person objected', () => {
    const routes = routeBundle({
      recordType: 'referral',
      record: referralRecord,
      bundle,
      referral: referralWith({ statusUpdates: false }),
      partners: [TRUST, GP],
    });
    expect(routes.map((r) => [r.partnerId, r.decision])).toEqual([
      ['chapel-allerton', 'withheld-no-consent'],
      ['leeds-trust', 'withheld-no-consent'],
    ]);
    expect(routes[0]?.reason).toContain('sharing.statusUpdates');
  });

  it('without any partner: one visible no-route naming the category, without patient data', () => {
    const routes = routeBundle({
      recordType: 'referral',
      record: referralRecord,
      bundle,
      referral: referralRecord,
      partners: [],
    });
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({
      partnerId: null,
      decision: 'no-route',
      categories: ['referral-status'],
    });
    expect(routes[0]?.reason).toContain('referral-status');
    for (const secret of ['9434765919', referralRecord.person.name.family, 'B86016'])
      expect(routes[0]?.reason).not.toContain(secret);
  });
});

describe('support plans and consent', () => {
  it('state key: latest version wins per (site, record type, source id)', () => {
    for (const r of planRoutes({ withReferrer: true }))
      expect(r.stateKey).toBe('leeds-north|support-plan|PLAN-3001');
  });

  it('withReferrer true, withGp false, withOnwardServices absent', () => {
    const routes = planRoutes({ withReferrer: true, withGp: false });
    const referrer = byPartner(routes, 'leeds-trust', 'send');
    expect(typesOf(referrer?.resources ?? [])).toEqual([
      'CarePlan',
      'Goal',
      'Goal',
      'Goal',
      'ServiceRequest',
      'ServiceRequest',
      // Each onward referral's Task (Gravity) goes with it.
      'Task',
      'Task',
    ]);
    expect(byPartner(routes, 'leeds-trust', 'withheld-no-consent')).toBeUndefined();
    const gp = byPartner(routes, 'chapel-allerton', 'withheld-no-consent');
    expect(gp?.categories).toEqual(['support-plan', 'onward-referral']);
    expect(gp?.reason).toContain('sharing.withGp');
    expect(byPartner(routes, 'chapel-allerton', 'send')).toBeUndefined();
    // The onward service only ever sees its own onward referral (and its Task), here withheld.
    const onward = byPartner(routes, 'leeds-therapies', 'withheld-no-consent');
    expect(onward?.roles).toEqual(['onward-service']);
    expect(
      onward?.resources.map(
        (r) => `${r.resourceType} ${(r as { identifier?: { value?: string }[] }).identifier?.[0]?.value}`,
      ),
    ).toEqual(['ServiceRequest PLAN-3001/OR2', 'Task PLAN-3001/OR2']);
    expect(onward?.reason).toContain('sharing.withOnwardServices');
    expect(routes.some((r) => r.decision === 'no-route')).toBe(false);
  });

  it('withGp true and withOnwardServices true; sharing absent withholds everything', () => {
    const agreed = planRoutes({ withReferrer: false, withGp: true, withOnwardServices: true });
    expect(agreed.map((r) => [r.partnerId, r.decision])).toEqual([
      ['chapel-allerton', 'send'],
      ['leeds-therapies', 'send'],
      ['leeds-trust', 'withheld-no-consent'],
    ]);
    expect(typesOf(byPartner(agreed, 'leeds-therapies', 'send')?.resources ?? [])).toEqual([
      'ServiceRequest',
      'Task',
    ]);
    const none = planRoutes(undefined);
    expect(none.every((r) => r.decision === 'withheld-no-consent')).toBe(true);
    expect(none.map((r) => r.partnerId)).toEqual(['chapel-allerton', 'leeds-therapies', 'leeds-trust']);
  });

  it('a partner that does not receive a category is not its recipient; nobody → no-route per category', () => {
    const statusOnlyGp = partner('chapel-allerton', {
      kind: 'gp-practice',
      odsCodes: ['B86016'],
      receives: ['referral-status'],
    });
    const routes = planRoutes({ withGp: true, withOnwardServices: true }, [statusOnlyGp]);
    expect(routes.map((r) => [r.partnerId, r.decision, r.categories])).toEqual([
      [null, 'no-route', ['support-plan']],
      [null, 'no-route', ['onward-referral']],
    ]);
    expect(routes[0]?.reason).toMatch(/support-plan.*chapel-allerton \(does not receive it\)/);
    expect(typesOf(routes[0]?.resources ?? [])).toEqual(['CarePlan', 'Goal', 'Goal', 'Goal']);
  });

  it('no GP partner: only the referrer route', () => {
    const routes = planRoutes({ withReferrer: true, withGp: true }, [TRUST]);
    expect(routes.map((r) => [r.partnerId, r.decision])).toEqual([['leeds-trust', 'send']]);
  });

  it('leaves no urn:uuid dangling when a partner gets the plan but not the onward referrals', () => {
    const planOnly = partner('chapel-allerton', {
      kind: 'gp-practice',
      odsCodes: ['B86016'],
      receives: ['support-plan'],
    });
    const routes = planRoutes({ withGp: true }, [planOnly]);
    const route = byPartner(routes, 'chapel-allerton', 'send') as Route;
    expect(danglingReferences(route)).toEqual([]);
    const carePlan = route.resources.find((r) => r.resourceType === 'CarePlan') as CarePlan;
    const onwardRefs = (carePlan.activity ?? []).flatMap((a) => (a.reference ? [a.reference] : []));
    expect(onwardRefs).toEqual([
      {
        type: 'ServiceRequest',
        identifier: {
          system: 'https://fhir.navbridge.org.uk/Id/leeds-north/support-plan-onward-referral',
          value: 'PLAN-3001/OR1',
        },
      },
      {
        type: 'ServiceRequest',
        identifier: {
          system: 'https://fhir.navbridge.org.uk/Id/leeds-north/support-plan-onward-referral',
          value: 'PLAN-3001/OR2',
        },
      },
    ]);
  });

  it('finds the onward service from the performer when the record has no onward referrals', () => {
    const routes = routeBundle({
      recordType: 'event',
      record: { id: 'EVT-1', site: 'leeds-north' },
      bundle: golden('support-plan', 'plan-v1'),
      referral: referralWith({ withOnwardServices: true }),
      partners: [THERAPIES],
    });
    expect(routes.map((r) => [r.partnerId, r.decision, r.stateKey])).toEqual([
      ['leeds-therapies', 'send', null],
      [null, 'no-route', null],
      [null, 'no-route', null],
    ]);
  });

  it('is deterministic and does not change its input', () => {
    const bundle = golden('support-plan', 'plan-v1');
    const before = structuredClone(bundle);
    const input: RouteInput = {
      recordType: 'support-plan',
      record: plan,
      bundle,
      referral: referralWith({ withGp: true }),
      partners: [{ ...GP, receives: ['support-plan'] }],
    };
    expect(routeBundle(input)).toEqual(routeBundle(input));
    expect(bundle).toEqual(before);
  });
});

describe('events', () => {
  it('discharge goes as direct care while the completed plan (goals, onward referrals) needs consent', () => {
    const routes = routeBundle({
      recordType: 'event',
      record: { id: 'EVT-5009', site: 'leeds-north' },
      bundle: golden('event', 'discharged'),
      referral: referralWith({ statusUpdates: true, withReferrer: false }),
      partners: [TRUST],
    });
    expect(routes.map((r) => [r.decision, typesOf(r.resources)])).toEqual([
      ['send', ['Task', 'Communication']],
      ['withheld-no-consent', ['CarePlan', 'Goal', 'Goal', 'Goal', 'ServiceRequest', 'ServiceRequest']],
    ]);
  });

  it('escalation reaches the referrer even when the person objected to status updates, not the GP', () => {
    const routes = routeBundle({
      recordType: 'event',
      record: { id: 'EVT-5007', site: 'leeds-north' },
      bundle: golden('event', 'escalated'),
      referral: referralWith({ statusUpdates: false }),
      partners: [TRUST, GP],
    });
    expect(routes.map((r) => [r.partnerId, r.decision, typesOf(r.resources)])).toEqual([
      ['chapel-allerton', 'withheld-no-consent', ['Task', 'Communication']],
      ['leeds-trust', 'send', ['Communication']],
      ['leeds-trust', 'withheld-no-consent', ['Task']],
    ]);
  });

  it('same partner as referrer and GP: consent from either role is enough', () => {
    const routes = routeBundle({
      recordType: 'assessment',
      record: { id: 'ASM-2001', site: 'leeds-north' },
      bundle: golden('assessment', 'hna-full'),
      referral: referralWith({ withReferrer: false, withGp: true }, 'B86016', 'B86016'),
      partners: [GP],
    });
    expect(routes.map((r) => [r.partnerId, r.roles, r.decision, r.stateKey])).toEqual([
      ['chapel-allerton', ['referrer', 'gp'], 'send', 'leeds-north|assessment|ASM-2001'],
    ]);
  });

  it('outcome observations need consent like assessment content', () => {
    const routes = routeBundle({
      recordType: 'event',
      record: { id: 'EVT-5008', site: 'leeds-north' },
      bundle: golden('event', 'outcome-recorded'),
      referral: referralWith({ withReferrer: true }),
      partners: [TRUST, GP],
    });
    const summary = routes.map((r) => [r.partnerId, r.decision, typesOf(r.resources)]);
    expect(summary).toEqual([
      ['chapel-allerton', 'send', ['Task']],
      ['chapel-allerton', 'withheld-no-consent', ['Observation']],
      ['leeds-trust', 'send', ['Task', 'Observation']],
    ]);
  });
});

describe('resourceCategory', () => {
  it('maps each resource type to its category; supporting ones to null', async () => {
    const { resourceCategory } = await import('../../../src/routing/index.js');
    const cat = (r: Partial<Resource> & Record<string, unknown>) => resourceCategory(r as Resource);
    expect(cat({ resourceType: 'Task' })).toBe('referral-status');
    expect(cat({ resourceType: 'QuestionnaireResponse' })).toBe('assessment');
    expect(cat({ resourceType: 'CarePlan' })).toBe('support-plan');
    expect(cat({ resourceType: 'Goal' })).toBe('support-plan');
    expect(cat({ resourceType: 'Observation' })).toBe('outcome');
    expect(cat({ resourceType: 'Communication', category: [{ coding: [{ code: 'escalation' }] }] })).toBe(
      'escalation',
    );
    expect(
      cat({ resourceType: 'Communication', category: [{ coding: [{ code: 'discharge-summary' }] }] }),
    ).toBe('discharge');
    expect(cat({ resourceType: 'Communication' })).toBe('referral-status');
    expect(
      cat({
        resourceType: 'ServiceRequest',
        identifier: [{ system: 'https://x/Id/s/support-plan-onward-referral', value: 'a' }],
      }),
    ).toBe('onward-referral');
    expect(
      cat({
        resourceType: 'ServiceRequest',
        identifier: [{ system: 'https://x/Id/s/referral', value: 'a' }],
      }),
    ).toBeNull();
    for (const t of ['Patient', 'Organization', 'PractitionerRole', 'Flag'])
      expect(cat({ resourceType: t })).toBeNull();
  });
});
