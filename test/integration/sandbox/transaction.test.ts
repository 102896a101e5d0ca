// Transaction Bundles against the sandbox partner over real HTTP: conditional entries, urn:uuid
// reference resolution, idempotent resend, If-Match, and all-or-nothing rollback.
import type { Bundle, BundleEntry, CarePlan, Goal, Patient, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { type BundleOrOutcome, fhir, SYS } from './helpers.js';

let server: PartnerServer;
beforeAll(async () => {
  server = await startPartnerServer({ name: 'trust' });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const PATIENT_ID = '0b9c5a0e-6a47-5c1f-9d7e-1f0c2b3a4d51';
const PLAN_ID = '3d2e1f0a-9b8c-5d7e-8f6a-5b4c3d2e1f0a';
const GOAL_IDS = ['6a5b4c3d-2e1f-5a9b-8c7d-6e5f4a3b2c1d', '7b6c5d4e-3f2a-5b1c-9d8e-7f6a5b4c3d2e'];
const ident = (kind: string, value: string) => ({ system: `${SYS}/${kind}`, value });
const cond = (type: string, kind: string, value: string) =>
  `${type}?identifier=${encodeURIComponent(`${SYS}/${kind}|${value}`)}`;

/** The shape navbridge's transaction mode sends: ids are UUIDv5, fullUrl urn:uuid, conditional requests. */
function planBundle(status: CarePlan['status'], goals = ['g1', 'g2']): Bundle {
  const entries: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${PATIENT_ID}`,
      resource: {
        resourceType: 'Patient',
        id: PATIENT_ID,
        identifier: [ident('patient', 'p1')],
        name: [{ given: ['Llŷr'], family: 'Siobhán 🌿' }],
      } as Patient,
      request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}/patient|p1` },
    },
    {
      fullUrl: `urn:uuid:${PLAN_ID}`,
      resource: {
        resourceType: 'CarePlan',
        id: PLAN_ID,
        identifier: [ident('plan', 'sp1')],
        status,
        intent: 'plan',
        subject: { reference: `urn:uuid:${PATIENT_ID}` },
        goal: goals.map((_, i) => ({ reference: `urn:uuid:${GOAL_IDS[i]}` })),
      } as CarePlan,
      request: { method: 'PUT', url: cond('CarePlan', 'plan', 'sp1') },
    },
    ...goals.map(
      (g, i): BundleEntry => ({
        fullUrl: `urn:uuid:${GOAL_IDS[i]}`,
        resource: {
          resourceType: 'Goal',
          id: GOAL_IDS[i],
          identifier: [ident('goal', g)],
          lifecycleStatus: 'active',
          description: { text: `goal ${g}` },
          subject: { reference: `urn:uuid:${PATIENT_ID}` },
        } as Goal,
        request: { method: 'PUT', url: cond('Goal', 'goal', g) },
      }),
    ),
  ];
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

const post = (body: unknown) => fhir<BundleOrOutcome>(server.url, '', { body });

describe('transaction Bundles', () => {
  it('stores every entry and rewrites urn:uuid references to the stored ids', async () => {
    const res = await post(planBundle('active'));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '201', '201']);
    for (const e of res.body.entry ?? []) {
      expect(e.response?.etag).toBe('W/"1"');
      expect(e.response?.location).toMatch(/^\w+\/[^/]+\/_history\/1$/);
    }
    const [patient] = server.readAll<Patient>('Patient');
    const [plan] = server.readAll<CarePlan>('CarePlan');
    expect(patient?.name?.[0]?.family).toBe('Siobhán 🌿');
    expect(plan?.subject.reference).toBe(`Patient/${patient?.id}`);
    const goals = server.readAll<Goal>('Goal');
    expect(plan?.goal?.map((g) => g.reference).sort()).toEqual(goals.map((g) => `Goal/${g.id}`).sort());
    expect(goals.every((g) => g.subject.reference === `Patient/${patient?.id}`)).toBe(true);
  });

  it('is idempotent: a resend updates the same resources and leaves one copy of each', async () => {
    await post(planBundle('active'));
    const again = await post(planBundle('completed'));
    expect(again.status).toBe(200);
    expect(again.body.entry?.map((e) => e.response?.status)).toEqual(['200', '200', '200', '200']);
    expect(server.readAll('Patient')).toHaveLength(1);
    expect(server.readAll('Goal')).toHaveLength(2);
    const plans = server.readAll<CarePlan>('CarePlan');
    expect(plans).toHaveLength(1);
    expect(plans[0]?.status).toBe('completed');
    expect(plans[0]?.meta?.versionId).toBe('2');
  });

  it('resolves conditional entries against resources created over REST with server ids', async () => {
    const created = await fhir<Patient>(server.url, '/Patient', {
      body: { resourceType: 'Patient', identifier: [ident('patient', 'p1')] },
    });
    const bundle = planBundle('active');
    // Server-assigned ids differ from ours: a conditional PUT must not carry an id then (R4 rule).
    for (const e of bundle.entry ?? []) delete (e.resource as Resource).id;
    const res = await post(bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry?.[0]?.response?.status).toBe('200');
    expect(server.readAll<CarePlan>('CarePlan')[0]?.subject.reference).toBe(`Patient/${created.body.id}`);
  });

  it('rolls back everything when one entry fails', async () => {
    await post(planBundle('active'));
    const bundle = planBundle('revoked', ['g1', 'g2']);
    const goalEntry = bundle.entry?.[3];
    if (goalEntry?.request) goalEntry.request.ifMatch = 'W/"9"';
    const res = await post(bundle);
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(server.readAll<CarePlan>('CarePlan')[0]?.status).toBe('active');
    expect(server.readAll<CarePlan>('CarePlan')[0]?.meta?.versionId).toBe('1');
  });

  it('leaves no partial writes when a new Bundle fails part-way', async () => {
    const bundle = planBundle('active');
    bundle.entry?.push({
      resource: { resourceType: 'Goal' } as Goal,
      request: { method: 'PUT', url: 'Goal/missing-id' },
    });
    const res = await post(bundle);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(server.readAll('Patient')).toHaveLength(0);
    expect(server.readAll('CarePlan')).toHaveLength(0);
  });

  it('answers 400 for a conditional PUT whose id names another resource, and stores nothing', async () => {
    await post(planBundle('active'));
    const bundle = planBundle('active');
    const planEntry = bundle.entry?.[1];
    if (planEntry?.resource) planEntry.resource.id = 'another-id';
    const res = await post(bundle);
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.expression).toEqual(['Bundle.entry[1]']);
    expect(server.readAll('CarePlan')).toHaveLength(1);
  });
});
