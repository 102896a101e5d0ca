// BaRS as a sender (issue 11 §2): who sends, to whom, in answer to what, about which journey — and an
// onward referral that the receiving service can act on. test/conformance holds the same messages
// against the real BaRS examples, field by field (test/support/bars-shape.ts).
import type { Encounter, MessageHeader, Organization, Patient, ServiceRequest, Task } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import type { Validator } from '../../../src/fhir/validate.js';
import { barsShape } from '../../support/bars-shape.js';
import { profileValidator } from '../../support/validator.js';
import { BARS_SITE, barsOnwardRequest, barsResponse, resourcesOf } from './bars-fixtures.js';

const REQUEST_BUNDLE = '86e3371d-1c15-4862-9552-d9560f8292ba';
const THEIR_SR = '236bb75d-90ef-461f-b71e-fde7f899802c';
const THEIR_IDENT = { system: 'https://sender.example.org/Id/referral', value: 'SND-77' };
const JOURNEY = { reference: 'EpisodeOfCare/d877b820-e72b-44d1-a627-195f54bfc606' };
let validator: Validator;
beforeAll(() => {
  validator = profileValidator();
});

const errors = (b: Parameters<Validator['validateBundle']>[0]) =>
  validator
    .validateBundle(b)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${String(i.expression)}: ${i.diagnostics}`);

describe('servicerequest-response', () => {
  it('names sender and receiver, the site DoS id as source, the request it answers, the journey', async () => {
    const b = await barsResponse({
      requestBundleId: REQUEST_BUNDLE,
      serviceRequestId: THEIR_SR,
      serviceRequestIdentifier: THEIR_IDENT,
      journey: JOURNEY,
    });
    expect(errors(b)).toEqual([]);
    const all = resourcesOf(b);
    const byUrl = new Map(b.entry?.map((e) => [e.fullUrl, e.resource]));
    const mh = all[0] as MessageHeader;
    expect(mh.response).toEqual({ identifier: REQUEST_BUNDLE, code: 'ok' });
    expect(mh.source.endpoint).toBe('https://fhir.nhs.uk/Id/dos-service-id|2000011111');
    expect(mh.source.name).toBe('Content test navigation service');
    expect((byUrl.get(mh.sender?.reference) as Organization).identifier?.[0]?.value).toBe('CTS01');
    const receiver = byUrl.get(mh.destination?.[0]?.receiver?.reference) as Organization;
    expect(receiver.identifier?.[0]?.value).toBe('RND');
    expect(mh.destination?.[0]?.endpoint).toBe('https://fhir.nhs.uk/Id/dos-service-id|2000022222');
    // The requester's own ServiceRequest, as sent: its id and identifier, and the Task points at it.
    const srs = all.filter((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
    expect(srs.map((s) => [s.id, s.identifier])).toEqual([[THEIR_SR, [THEIR_IDENT]]]);
    // navbridge still serves its copy to the partner by its own id (the synchronous answer's focus).
    const srEntry = b.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest');
    expect(srEntry?.link).toEqual([
      {
        relation: 'alternate',
        url: `ServiceRequest/${resourceId(BARS_SITE.id, 'ServiceRequest', 'REF-2025-0142')}`,
      },
    ]);
    const task = all.find((r): r is Task => r.resourceType === 'Task');
    expect(task?.focus?.reference).toBe(`urn:uuid:${THEIR_SR}`);
    const encounter = byUrl.get(srs[0]?.encounter?.reference) as Encounter;
    expect(encounter.episodeOfCare).toEqual([JOURNEY]);
    expect(barsShape(b, REQUEST_BUNDLE).header.response).toEqual({
      answersTheRequestBundle: true,
      code: 'ok',
    });
  });

  it('without a BaRS request (referred another way): no response element, navbridge journey id', async () => {
    const b = await barsResponse({});
    const mh = resourcesOf(b)[0] as MessageHeader;
    expect(mh.response).toBeUndefined();
    const enc = resourcesOf(b).find((r): r is Encounter => r.resourceType === 'Encounter');
    expect(enc?.episodeOfCare?.[0]).toEqual({
      type: 'EpisodeOfCare',
      identifier: { system: 'https://id.example.org/content-test/journey', value: 'REF-2025-0142' },
    });
  });
});

describe('servicerequest-request (onward referral)', () => {
  it('carries the Patient, the BaRS referral category and the same journey', async () => {
    const b = await barsOnwardRequest({ journey: JOURNEY });
    expect(errors(b)).toEqual([]);
    const all = resourcesOf(b);
    expect((all[0] as MessageHeader).eventCoding?.code).toBe('servicerequest-request');
    expect((all[0] as MessageHeader).response).toBeUndefined();
    const sr = all.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
    const patient = all.find((r): r is Patient => r.resourceType === 'Patient');
    expect(patient?.name?.length).toBeGreaterThan(0);
    expect(patient?.telecom?.length).toBeGreaterThan(0);
    expect(sr?.subject).toEqual({ reference: `urn:uuid:${patient?.id}` });
    expect(sr?.category?.map((c) => c.coding?.[0]?.system)).toContain(
      'https://fhir.nhs.uk/CodeSystem/message-category-servicerequest',
    );
    expect(sr?.code?.coding?.[0]).toMatchObject({
      system: 'https://fhir.navbridge.org.uk/CodeSystem/onward-service-type',
    });
    const enc = all.find((r): r is Encounter => r.resourceType === 'Encounter');
    expect(enc?.episodeOfCare).toEqual([JOURNEY]);
  });
});

describe('servicerequest-request with the onward Task (Gravity)', () => {
  it('stays a request about its ServiceRequest; the Task goes with it, partOf the referral Task by identifier', async () => {
    const b = await barsOnwardRequest({ journey: JOURNEY });
    expect(errors(b)).toEqual([]);
    const all = resourcesOf(b);
    const header = all[0] as MessageHeader;
    const sr = all.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
    const task = all.find((r): r is Task => r.resourceType === 'Task');
    expect(header.eventCoding?.code).toBe('servicerequest-request');
    expect(header.definition).toBe(
      'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral',
    );
    // BaRS: the focus is the ServiceRequest alone, as without the Task.
    expect(header.focus).toEqual([{ reference: `urn:uuid:${sr?.id}` }]);
    expect(task?.focus).toEqual({ reference: `urn:uuid:${sr?.id}` });
    // The referral Task is not in the message: a logical reference the receiver can resolve, no navbridge id.
    expect(task?.partOf).toEqual([
      {
        type: 'Task',
        identifier: {
          system: 'https://fhir.navbridge.org.uk/Id/leeds-north/referral-task',
          value: 'REF-1001',
        },
      },
    ]);
    expect(task?.status).toBe('requested');
    // The shape the real examples are compared on is the same with or without the Task.
    const withoutTask = { ...b, entry: b.entry?.filter((e) => e.resource?.resourceType !== 'Task') };
    expect(barsShape(b)).toEqual(barsShape(withoutTask));
  });
});
