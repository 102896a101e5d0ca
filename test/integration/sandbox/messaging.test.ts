// BaRS $process-message and document delivery against the sandbox partner over real HTTP, using the
// real BaRS 1.4.0 example message from ../shared/fhir-examples.
import { readFileSync } from 'node:fs';
import type {
  Binary,
  Bundle,
  Composition,
  DocumentReference,
  MessageHeader,
  OperationOutcome,
  Patient,
  ServiceRequest,
} from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { type BundleOrOutcome, fhir, SYS } from './helpers.js';

const EXAMPLES = new URL('../../../../shared/fhir-examples/bars-api/', import.meta.url);
const example = (path: string): unknown => JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8'));
const barsRequest = (): Bundle => example('process_message/request/ValidationRequest-POST.json') as Bundle;

let server: PartnerServer;
beforeAll(async () => {
  server = await startPartnerServer({ name: 'trust' });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const send = (body: unknown, requestId: string | undefined, extra: Record<string, string> = {}) =>
  fhir<BundleOrOutcome>(server.url, '/$process-message', {
    body,
    headers: { ...(requestId ? { 'x-request-id': requestId } : {}), 'x-correlation-id': 'corr-1', ...extra },
  });

function withIds(bundle: Bundle, headerId: string, identifier?: string): Bundle {
  const copy = structuredClone(bundle);
  const mh = copy.entry?.[0]?.resource as MessageHeader;
  mh.id = headerId;
  if (identifier) copy.identifier = { system: 'urn:ietf:rfc:3986', value: identifier };
  return copy;
}

describe('$process-message', () => {
  it('stores the BaRS example message and answers 200 with an ok response message', async () => {
    const target = JSON.stringify({ value: 'RYE', system: 'https://fhir.nhs.uk/Id/ods-organization-code' });
    const res = await send(barsRequest(), 'req-1', { 'nhsd-target-identifier': b64(target) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    expect(res.body.type).toBe('message');
    const header = res.body.entry?.[0]?.resource as MessageHeader;
    expect(header.resourceType).toBe('MessageHeader');
    expect(header.response?.code).toBe('ok');
    // The example's MessageHeader has no id: the response answers its fullUrl.
    expect(header.response?.identifier).toBe('1cbdfb97-5859-48a4-8301-d54eab818d68');

    const [sr] = server.readAll<ServiceRequest>('ServiceRequest');
    const patients = await server.search<Patient>('Patient', {
      identifier: 'https://fhir.nhs.uk/Id/nhs-number|3478526985',
    });
    expect(patients).toHaveLength(1);
    expect(sr?.subject.reference).toBe(`Patient/${patients[0]?.id}`);
    expect(server.readAll('MessageHeader')).toHaveLength(0);

    const [processed] = server.processedMessages();
    expect(processed?.requestId).toBe('req-1');
    expect(processed?.correlationId).toBe('corr-1');
    expect(processed?.event).toBe('servicerequest-request');
    expect(processed?.nhsdHeaders['nhsd-target-identifier']).toBe(target);
    expect(processed?.stored).toContain(`ServiceRequest/${sr?.id}`);
    expect(processed?.stored).toHaveLength((barsRequest().entry?.length ?? 0) - 1);
  });

  it('answers a repeated X-Request-Id with 409 REC_CONFLICT in the BaRS shape and stores nothing more', async () => {
    expect((await send(barsRequest(), 'req-1')).status).toBe(200);
    const counts = () =>
      ['ServiceRequest', 'Patient', 'Encounter'].map((t) => server.readAll(t as 'Patient').length);
    const before = counts();
    const repeat = await send(barsRequest(), 'req-1');
    expect(repeat.status).toBe(409);
    const expected = example('OperationOutcome/REC/409-REC_CONFLICT-duplicate.json') as OperationOutcome;
    expect(repeat.body.issue).toEqual(expected.issue);
    expect(counts()).toEqual(before);
    expect(server.processedMessages()).toHaveLength(1);
  });

  it('deduplicates by MessageHeader id and by Bundle.identifier under a new X-Request-Id', async () => {
    expect((await send(withIds(barsRequest(), 'mh-1', 'msg-1'), 'req-1')).status).toBe(200);
    expect((await send(withIds(barsRequest(), 'mh-1'), 'req-2')).status).toBe(409);
    expect((await send(withIds(barsRequest(), 'mh-2', 'msg-1'), 'req-3')).status).toBe(409);
    // A new message about the same people updates them (business identifiers), it does not copy them.
    expect((await send(withIds(barsRequest(), 'mh-3', 'msg-3'), 'req-4')).status).toBe(200);
    expect(server.readAll('Patient')).toHaveLength(1);
    expect(server.processedMessages().map((m) => m.messageHeaderId)).toEqual(['mh-1', 'mh-3']);
  });

  it('rejects what is not a message Bundle, and a message without X-Request-Id, with REC_BAD_REQUEST', async () => {
    const notMessage = await send({ resourceType: 'Bundle', type: 'collection', entry: [] }, 'req-x');
    expect(notMessage.status).toBe(400);
    expect(notMessage.body.issue?.[0]?.details?.coding?.[0]?.code).toBe('REC_BAD_REQUEST');
    expect((await send(barsRequest(), undefined)).status).toBe(400);
    expect(server.readAll('ServiceRequest')).toHaveLength(0);
  });
});

describe('document delivery', () => {
  const documentBundle = (status: 'preliminary' | 'final'): Bundle => ({
    resourceType: 'Bundle',
    identifier: { system: SYS, value: 'doc-1' },
    type: 'document',
    timestamp: '2025-03-01T10:00:00+00:00',
    entry: [
      {
        fullUrl: 'urn:uuid:5f1d7c2a-3b4e-4c5d-8e9f-0a1b2c3d4e5f',
        resource: {
          resourceType: 'Composition',
          status,
          type: { text: 'Discharge summary' },
          date: '2025-03-01T10:00:00+00:00',
          author: [{ display: 'Navigator' }],
          title: 'Summary',
        } as Composition,
      },
    ],
  });

  it('stores a document Bundle (201) once under If-None-Exist on its identifier', async () => {
    const headers = { 'if-none-exist': `identifier=${SYS}|doc-1` };
    const first = await fhir<Bundle>(server.url, '/Bundle', { body: documentBundle('final'), headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toContain(`/Bundle/${first.body.id}/_history/1`);
    const again = await fhir<Bundle>(server.url, '/Bundle', { body: documentBundle('final'), headers });
    expect(again.status).toBe(200);
    expect(server.readAll<Bundle>('Bundle')).toHaveLength(1);
    expect(server.readAll<Bundle>('Bundle')[0]?.type).toBe('document');
  });

  it('refuses a document Bundle that does not start with a Composition', async () => {
    const bad = documentBundle('final');
    bad.entry = [{ resource: { resourceType: 'Patient' } }];
    expect((await fhir(server.url, '/Bundle', { body: bad })).status).toBe(400);
    expect(server.readAll('Bundle')).toHaveLength(0);
  });

  it('accepts a DocumentReference pointing at a Binary', async () => {
    const binary = await fhir<Binary>(server.url, '/Binary', {
      body: { resourceType: 'Binary', contentType: 'text/plain', data: b64('Llŷr: discharged 🌿') },
    });
    expect(binary.status).toBe(201);
    const ref = await fhir<DocumentReference>(server.url, '/DocumentReference', {
      body: {
        resourceType: 'DocumentReference',
        status: 'current',
        identifier: [{ system: SYS, value: 'doc-2' }],
        content: [{ attachment: { contentType: 'text/plain', url: `Binary/${binary.body.id}` } }],
      },
    });
    expect(ref.status).toBe(201);
    const stored = await server.read<Binary>('Binary', binary.body.id ?? '');
    expect(Buffer.from(stored?.data ?? '', 'base64').toString('utf8')).toBe('Llŷr: discharged 🌿');
  });
});
