// References a partner can resolve (issue 11 §4): a journey delivered in transaction and in rest mode
// to real sandbox partners that assign their own ids; every reference read back from the partner
// resolves there — a literal one to a resource it holds, a logical one to exactly one resource by its
// identifier. Only organisations known by ODS code are left to the national directory.
import type { Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTIFIER_SYSTEMS } from '../../../src/fhir/canonical.js';
import { resourceId } from '../../../src/fhir/ids.js';
import { recordFixture } from '../../support/fixtures.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const TYPES = [
  'Task',
  'ServiceRequest',
  'CarePlan',
  'Goal',
  'QuestionnaireResponse',
  'Communication',
  'Flag',
];
const HELD = [...TYPES, 'Patient', 'PractitionerRole', 'Organization', 'Observation', 'Consent'];

interface Found {
  at: string;
  reference?: string;
  type?: string;
  identifier?: { system?: string; value?: string };
}

/** Every Reference in a resource: an object with `reference`, or a logical `{type, identifier}`. */
function referencesIn(resource: Resource): Found[] {
  const out: Found[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const logical = typeof o.type === 'string' && /^[A-Z]/.test(o.type) && typeof o.identifier === 'object';
    if (typeof o.reference === 'string' || logical) out.push({ ...(o as Omit<Found, 'at'>), at: path });
    for (const [k, x] of Object.entries(o)) if (k !== 'identifier') walk(x, `${path}.${k}`);
  };
  walk(resource, `${resource.resourceType}/${resource.id}`);
  return out;
}

const NATIONAL = new Set<string>([
  IDENTIFIER_SYSTEMS['nhs-number'],
  IDENTIFIER_SYSTEMS.chi,
  IDENTIFIER_SYSTEMS['hc-number'],
]);

/** `national`: the partner owns the person's record (reference-only), found by NHS number there. */
async function unresolved(server: PartnerServer, national: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const type of TYPES)
    for (const r of server.readAll<Resource>(type as Resource['resourceType']))
      for (const ref of referencesIn(r)) {
        if (ref.reference) {
          const [t, id] = ref.reference.split('/');
          const ok = !ref.reference.startsWith('urn:') && t && id && (await server.read(t as 'Task', id));
          if (!ok) problems.push(`${ref.at}: ${ref.reference} not held`);
          continue;
        }
        const { system, value } = ref.identifier ?? {};
        if (system === IDENTIFIER_SYSTEMS.ods || (national && NATIONAL.has(system ?? ''))) continue;
        if (!HELD.includes(ref.type ?? '')) {
          problems.push(`${ref.at}: ${ref.type} is not a type the partner was sent`);
          continue;
        }
        const hits = await server.search(ref.type as 'Task', { identifier: `${system}|${value}` });
        if (hits.length !== 1)
          problems.push(`${ref.at}: ${ref.type}?identifier=${system}|${value} → ${hits.length}`);
      }
  return problems;
}

describe.each([
  ['transaction', 'create-if-absent'],
  ['rest', 'reference-only'],
  ['transaction', 'reference-only'],
] as const)('%s mode, patients %s: references resolve at a partner with its own ids', (mode, patients) => {
  const ID = `trust-${mode}-${patients}`;
  let trust: PartnerServer;
  let h: Harness;

  beforeAll(async () => {
    trust = await startPartnerServer({ name: 'trust' });
    h = await startHarness([
      partner({
        id: ID,
        baseUrl: trust.url,
        mode,
        patients,
        receives: ['referral-status', 'assessment', 'support-plan', 'onward-referral', 'discharge'],
      }),
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await trust?.close();
  });

  it('delivers a journey and every reference read back resolves there', async () => {
    await h.service.submit('referral', referralFromTrust());
    await h.settled();
    for (const [type, name] of [
      ['event', 'event-accepted'],
      ['assessment', 'assessment-hna'],
      ['support-plan', 'support-plan'],
      ['event', 'event-discharged'],
    ] as const) {
      await h.service.submit(type, recordFixture(name));
      await h.settled();
    }
    const tasks = trust.readAll<Resource>('Task');
    expect(tasks.length).toBeGreaterThan(0);
    expect(trust.readAll<Resource>('CarePlan').length).toBeGreaterThan(0);
    expect(trust.readAll<Resource>('QuestionnaireResponse').length).toBeGreaterThan(0);
    // The partner assigned its own ids, and navbridge's never reached it in a reference.
    const ours = [
      resourceId('leeds-north', 'ServiceRequest', 'REF-2025-0142'),
      resourceId('leeds-north', 'PractitionerRole', 'REF-2025-0142', 'requester'),
      resourceId('leeds-north', 'Patient', 'REF-2025-0142'),
    ];
    expect(trust.readAll<Resource>('ServiceRequest').map((r) => r.id)).not.toContain(ours[0]);
    const sent = trust.requestLog().map((e) => JSON.stringify(e.body ?? ''));
    const literal = (id: string) => new RegExp(`"reference":"[A-Za-z]+/${id}"`);
    for (const id of ours) expect(sent.filter((b) => literal(id).test(b))).toEqual([]);
    expect(await unresolved(trust, patients === 'reference-only')).toEqual([]);
  });
});
