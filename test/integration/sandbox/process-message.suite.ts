// BaRS $process-message against the sandbox partner over real HTTP, with a set of FHIR examples:
// run by messaging.test.ts with navbridge's fixtures and by test/conformance/real-examples.test.ts
// with the real BaRS 1.4.0 examples.
import type { Bundle, MessageHeader, Patient, ServiceRequest } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FhirExamples } from '../../support/fhir-examples.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { type BundleOrOutcome, fhir } from './helpers.js';

export function processMessageSuite(ex: FhirExamples): void {
  const barsRequest = ex.bars.request;

  describe(`$process-message (${ex.source})`, () => {
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
        headers: {
          ...(requestId ? { 'x-request-id': requestId } : {}),
          'x-correlation-id': 'corr-1',
          ...extra,
        },
      });

    function withIds(bundle: Bundle, headerId: string, identifier?: string): Bundle {
      const copy = structuredClone(bundle);
      const mh = copy.entry?.[0]?.resource as MessageHeader;
      mh.id = headerId;
      if (identifier) copy.identifier = { system: 'urn:ietf:rfc:3986', value: identifier };
      return copy;
    }

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
      expect(header.response?.identifier).toBe(ex.facts.requestMessageId);

      const [sr] = server.readAll<ServiceRequest>('ServiceRequest');
      const patients = await server.search<Patient>('Patient', {
        identifier: `https://fhir.nhs.uk/Id/nhs-number|${ex.facts.requestNhsNumber}`,
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
      expect(repeat.body.issue).toEqual(ex.bars.conflict().issue);
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
}
