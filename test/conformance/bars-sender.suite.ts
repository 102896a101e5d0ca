// BaRS as a sender against the real examples (issue 11 §2): the real request goes through navbridge's
// intake reading (what a requester must find again), navbridge answers it and makes an onward referral
// the way the service does, and each message matches its real counterpart field by field in presence
// and shape (test/support/bars-shape.ts): header parties, endpoints, response link, ServiceRequest,
// journey and Patient.
import path from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { barsRequestOf } from '../../src/intake/bars-request.js';
import { readEnvelope } from '../../src/intake/envelope.js';
import { barsShape } from '../support/bars-shape.js';
import { readJson } from '../support/fixtures.js';
import { barsOnwardRequest, barsResponse } from '../unit/delivery-forms/bars-fixtures.js';

const REQUEST = 'bars-api/process_message/request/ValidationRequest-POST.json';
const RESPONSE = 'bars-api/process_message/request/ValidationResponse-POST.json';

export function barsSenderSuite(dir: string): void {
  describe('BaRS as a sender, field by field against the real examples', () => {
    const realRequest = () => readJson<Bundle>(path.join(dir, REQUEST));
    const received = () => barsRequestOf(readEnvelope('message', realRequest()));

    it('reads from a real request what its answers must carry: its Bundle.id, ServiceRequest id, journey', () => {
      expect(received()).toEqual({
        requestBundleId: realRequest().id,
        serviceRequestId: '236bb75d-90ef-461f-b71e-fde7f899802c',
        journey: { reference: 'EpisodeOfCare/d877b820-e72b-44d1-a627-195f54bfc606' },
      });
    });

    it('servicerequest-response: the shape of the real response to the same request', async () => {
      const ours = await barsResponse(received());
      const real = readJson<Bundle>(path.join(dir, RESPONSE));
      const id = realRequest().id;
      expect(barsShape(ours, id)).toEqual(barsShape(real, id));
    });

    it('servicerequest-request: the shape of the real request, journey kept', async () => {
      const ours = await barsOnwardRequest({ journey: received().journey ?? {} });
      expect(barsShape(ours)).toEqual(barsShape(realRequest()));
    });
  });
}
