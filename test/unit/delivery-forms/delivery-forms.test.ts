import type {
  Binary,
  Bundle,
  Composition,
  DocumentReference,
  MessageHeader,
  OperationOutcomeIssue,
  PractitionerRole,
  QuestionnaireResponse,
  Resource,
  Task,
} from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Validator } from '../../../src/fhir/validate.js';
import { buildPayload, type PayloadOptions } from '../../../src/payloads/delivery-forms.js';
import { urnReferences } from '../../../src/payloads/references.js';
import { routeBundle } from '../../../src/routing/index.js';
import { type PartnerConfig, RECEIVES } from '../../../src/settings/app-config.js';
import { recordFixture } from '../../support/fixtures.js';
import { profileValidator } from '../../support/validator.js';
import { golden, partner, referralBundle } from '../routing/fixtures.js';
import { onwardRouteResources } from './bars-fixtures.js';

const NOW = '2026-03-02T09:00:00Z';
const NHS = { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' };
let validator: Validator;
let referral: Bundle;

beforeAll(async () => {
  validator = profileValidator();
  referral = await referralBundle();
});

const errors = (bundle: Bundle): string[] =>
  validator
    .validateBundle(bundle)
    .filter((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${String(i.expression)}: ${i.diagnostics}`);

const gp = (fields: Partial<PartnerConfig> = {}): PartnerConfig =>
  partner('chapel-allerton', {
    kind: 'gp-practice',
    odsCodes: ['B86016'],
    receives: [...RECEIVES],
    dosServiceId: '2000012345',
    ...fields,
  });

const opts = (p: PartnerConfig, over: Partial<PayloadOptions> = {}): PayloadOptions => ({
  partner: p,
  site: 'content-test-site',
  recordType: 'referral',
  sourceId: 'REF-2025-0142',
  version: 1,
  exchangeKey: `content-test-site|referral|REF-2025-0142|1|${p.id}`,
  now: NOW,
  bundleId: '0f6b3c1e-2d4a-5b6c-8d7e-9f0a1b2c3d4e',
  ...over,
});

/** The resources routing sends the GP for the referral (Task + what it references). */
function referralResources(p: PartnerConfig): Resource[] {
  const routes = routeBundle({
    recordType: 'referral',
    record: recordFixture<{ id: string; site: string }>('referral'),
    bundle: referral,
    referral: undefined,
    partners: [p],
  });
  return routes[0]?.resources ?? [];
}

const entryOf = <T extends Resource>(b: Bundle, type: string) =>
  b.entry?.find((e) => e.resource?.resourceType === type) as
    | { resource: T; request?: { method: string; url: string; ifNoneExist?: string }; fullUrl: string }
    | undefined;
const types = (b: Bundle) => (b.entry ?? []).map((e) => e.resource?.resourceType);

describe('transaction', () => {
  it('create-if-absent: conditional updates on business identifiers, the Patient POSTed with ifNoneExist', () => {
    const p = gp({ patients: 'create-if-absent' });
    const resources = referralResources(p);
    const b = buildPayload('transaction', resources, opts(p));
    expect(b.type).toBe('transaction');
    expect(errors(b)).toEqual([]);
    const patient = entryOf(b, 'Patient');
    expect(patient?.request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: 'identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919',
    });
    const task = entryOf<Task>(b, 'Task');
    expect(task?.request?.method).toBe('PUT');
    expect(task?.request?.url).toBe(
      'Task?identifier=https://id.example.org/content-test/referral-task|REF-2025-0142',
    );
    expect(task?.fullUrl).toMatch(/^urn:uuid:/);
    expect(task?.resource.for?.reference).toBe(patient?.fullUrl);
    // Dependencies first: what the Task references comes before it.
    const order = types(b);
    expect(order.indexOf('Organization')).toBeLessThan(order.indexOf('PractitionerRole'));
    expect(order.indexOf('Patient')).toBeLessThan(order.indexOf('Task'));
    expect(order.indexOf('ServiceRequest')).toBeLessThan(order.indexOf('Task'));
  });

  it('reference-only: no Patient, and every reference to it becomes a logical NHS number reference', () => {
    const p = gp({ patients: 'reference-only' });
    const resources = referralResources(p);
    const patientUrl = `urn:uuid:${resources.find((r) => r.resourceType === 'Patient')?.id}`;
    const b = buildPayload('transaction', resources, opts(p));
    expect(types(b)).not.toContain('Patient');
    expect(JSON.stringify(b)).not.toContain(patientUrl);
    expect(entryOf<Task>(b, 'Task')?.resource.for).toEqual({ type: 'Patient', identifier: NHS });
    expect(errors(b)).toEqual([]);
  });

  it('a person without a national number is referred to by the local identifier', async () => {
    const local = await referralBundle({
      person: {
        ...recordFixture<{ person: Record<string, unknown> }>('referral').person,
        nhsNumber: undefined,
        identifiers: [{ system: 'local', value: 'MRN-77' }],
      },
    });
    const p = gp();
    const routes = routeBundle({
      recordType: 'referral',
      record: { id: 'REF-2025-0142', site: 'x' },
      bundle: local,
      referral: undefined,
      partners: [p],
    });
    const b = buildPayload('transaction', routes[0]?.resources ?? [], opts(p));
    expect(entryOf<Task>(b, 'Task')?.resource.for).toEqual({
      type: 'Patient',
      identifier: { system: 'https://id.example.org/content-test/patient-local', value: 'MRN-77' },
    });
    expect(errors(b)).toEqual([]);
  });

  it('escapes reserved characters in conditional URLs', () => {
    const p = gp();
    const [task] = referralResources(p).filter((r) => r.resourceType === 'Task') as Task[];
    const odd = { ...(task as Task), identifier: [{ system: 'https://id.example.org/x', value: 'A&B #1' }] };
    const b = buildPayload('transaction', [odd], opts(p));
    expect(b.entry?.[0]?.request?.url).toBe('Task?identifier=https://id.example.org/x|A%26B%20%231');
  });
});

describe('rest', () => {
  it('same conditional entries, dependencies first, every urn:uuid reference made logical', () => {
    const p = gp({ mode: 'rest', patients: 'create-if-absent' });
    const b = buildPayload('rest', referralResources(p), opts(p));
    expect(urnReferences(b.entry?.map((e) => e.resource))).toEqual([]);
    expect(entryOf<PractitionerRole>(b, 'PractitionerRole')?.resource.organization).toEqual({
      type: 'Organization',
      identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B86016' },
      display: 'Chapel Allerton Medical Centre',
    });
    expect(entryOf<Task>(b, 'Task')?.resource.for).toEqual({ type: 'Patient', identifier: NHS });
    const order = types(b);
    expect(order.indexOf('Organization')).toBeLessThan(order.indexOf('PractitionerRole'));
    expect(order.indexOf('PractitionerRole')).toBeLessThan(order.indexOf('Task'));
    for (const e of b.entry ?? []) expect(e.resource?.id).toBeTruthy(); // the worker keys ETags on it
    expect(errors(b)).toEqual([]);
  });
});

describe('message (BaRS)', () => {
  it('MessageHeader first, destination by DoS id, focus on the main resource, deterministic identifier', () => {
    const p = gp({ mode: 'message' });
    const resources = referralResources(p);
    const b = buildPayload('message', resources, opts(p));
    expect(b.type).toBe('message');
    expect(errors(b)).toEqual([]);
    const header = b.entry?.[0]?.resource as MessageHeader;
    expect(header.resourceType).toBe('MessageHeader');
    expect(header.eventCoding).toEqual({
      system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars',
      code: 'servicerequest-response',
    });
    expect(header.destination?.[0]?.endpoint).toBe('https://fhir.nhs.uk/Id/dos-service-id|2000012345');
    expect(header.source.name).toBe('navbridge');
    expect(header.reason?.coding?.[0]).toEqual({
      system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars',
      code: 'new',
    });
    const focus = header.focus?.map(
      (f) => b.entry?.find((e) => e.fullUrl === f.reference)?.resource?.resourceType,
    );
    expect(focus).toEqual(['Task']);
    expect(b.identifier?.system).toBe('https://tools.ietf.org/html/rfc4122');
    expect(buildPayload('message', resources, opts(p)).identifier).toEqual(b.identifier);
    expect(buildPayload('message', resources, opts(p, { exchangeKey: 'other' })).identifier).not.toEqual(
      b.identifier,
    );
    expect(types(b)).not.toContain('Patient'); // reference-only partner
  });

  it('a later version is an update; an onward referral is a servicerequest-request', () => {
    const p = partner('leeds-therapies', {
      kind: 'community-service',
      odsCodes: ['RGD'],
      receives: ['onward-referral'],
      mode: 'message',
      dosServiceId: '2000099999',
    });
    const b = buildPayload('message', onwardRouteResources(p), opts(p, { version: 2 }));
    const header = b.entry?.[0]?.resource as MessageHeader;
    expect(header.eventCoding?.code).toBe('servicerequest-request');
    expect(header.reason?.coding?.[0]?.code).toBe('update');
    expect(errors(b)).toEqual([]);
  });
});

/** A route's worth of content: status, assessment, plan, onward referrals and discharge. */
function documentResources(note: string): Resource[] {
  const take = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as Resource);
  const qr = structuredClone(take(golden('assessment', 'hna-full'))[0]) as QuestionnaireResponse;
  const notes = qr.item
    ?.find((i) => i.linkId === 'accommodation')
    ?.item?.find((i) => i.linkId === 'accommodation.notes');
  if (notes) notes.answer = [{ valueString: note }];
  // The discharge carries the completed plan with its goals and onward referrals, the plan-v1
  // resources under the same ids: keep a single copy of each.
  const plan = take(golden('support-plan', 'plan-v1'));
  const planIds = new Set(plan.map((r) => `${r.resourceType}/${r.id}`));
  const discharged = take(golden('event', 'discharged')).filter(
    (r) => r.resourceType !== 'CarePlan' && !planIds.has(`${r.resourceType}/${r.id}`),
  );
  return [...discharged, qr, ...plan];
}

describe('document', () => {
  const NOTE = 'Landlord <script>alert("x")</script> & Siobhán 🙂';

  it('summary: a valid document of one Composition with domains and priorities but no notes', () => {
    const p = gp({ mode: 'document', document: { transport: 'bundle', content: 'summary' } });
    const b = buildPayload('document', documentResources(NOTE), opts(p));
    expect(b).toMatchObject({ type: 'document', timestamp: NOW });
    expect(b.identifier?.value).toMatch(/^urn:uuid:/);
    expect(errors(b)).toEqual([]);
    expect(types(b)).toEqual(['Composition']);
    const c = b.entry?.[0]?.resource as Composition;
    expect(c).toMatchObject({
      status: 'final',
      title: 'Mental Health Navigation update',
      subject: { identifier: NHS },
    });
    expect(c.type.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '11506-3' });
    expect(c.section?.map((s) => s.title)).toEqual([
      'Referral status',
      'Needs identified',
      'Support plan goals',
      'Onward referrals',
      'Discharge',
    ]);
    const needs = c.section?.[1]?.text?.div ?? '';
    expect(needs).toContain('Accommodation');
    expect(needs).toContain('(priority: High)');
    expect(needs).not.toContain('Mental health'); // need not identified
    expect(needs).not.toContain('Landlord');
    expect(c.section?.every((s) => s.entry === undefined)).toBe(true);
  });

  it('full: notes, and the resources each section was written from, all resolvable', () => {
    const p = gp({ mode: 'document', document: { transport: 'bundle', content: 'full' } });
    const b = buildPayload('document', documentResources(NOTE), opts(p));
    expect(errors(b)).toEqual([]);
    const c = b.entry?.[0]?.resource as Composition;
    const urls = new Set(b.entry?.map((e) => e.fullUrl));
    for (const ref of c.section?.flatMap((s) => s.entry ?? []) ?? [])
      expect(urls.has(ref.reference)).toBe(true);
    const needs = c.section?.[1]?.text?.div ?? '';
    // Escaped, Unicode intact, nothing executable.
    expect(needs).toContain('Landlord &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Siobhán 🙂');
    expect(JSON.stringify(c)).not.toContain('<script');
    expect(c.section?.find((s) => s.title === 'Discharge')?.text?.div).toContain(
      'Llŷr is happy to be discharged 🙂',
    );
  });

  it('document-reference: Binary + DocumentReference transaction, conditional, carrying the same document', () => {
    const full = gp({ mode: 'document', document: { transport: 'bundle', content: 'summary' } });
    const asRef = gp({ mode: 'document', document: { transport: 'document-reference', content: 'summary' } });
    const resources = documentResources(NOTE);
    const doc = buildPayload('document', resources, opts(full));
    const b = buildPayload('document', resources, opts(asRef));
    expect(b.type).toBe('transaction');
    expect(errors(b)).toEqual([]);
    const binary = entryOf<Binary>(b, 'Binary');
    const docRef = entryOf<DocumentReference>(b, 'DocumentReference');
    expect(binary?.request).toEqual({ method: 'PUT', url: `Binary/${binary?.resource.id}` });
    expect(JSON.parse(Buffer.from(binary?.resource.data ?? '', 'base64').toString('utf8'))).toEqual(doc);
    expect(docRef?.resource).toMatchObject({
      status: 'current',
      subject: { identifier: NHS },
      content: [{ attachment: { contentType: 'application/fhir+json', url: binary?.fullUrl } }],
    });
    expect(docRef?.request?.url).toBe(
      `DocumentReference?identifier=urn:ietf:rfc:3986|${doc.identifier?.value}`,
    );
    expect(buildPayload('document', resources, opts(asRef))).toEqual(b);
  });
});

describe('every form', () => {
  it('is deterministic and leaves its input unchanged', () => {
    for (const mode of ['transaction', 'rest', 'message', 'document'] as const) {
      const p = gp({ mode, document: { transport: 'bundle', content: 'full' } });
      const resources = referralResources(p);
      const before = structuredClone(resources);
      expect(buildPayload(mode, resources, opts(p))).toEqual(buildPayload(mode, resources, opts(p)));
      expect(resources).toEqual(before);
    }
  });
});
