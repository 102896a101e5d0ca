// The envelope's refusals of BaRS example requests that are not referrals, with a set of examples: run
// by intake.test.ts with navbridge's fixtures and by test/conformance/real-examples.test.ts with the
// real BaRS 1.4.0 examples.
import { expect, it } from 'vitest';
import { readEnvelope } from '../../../src/intake/index.js';
import type { FhirExamples } from '../../support/fhir-examples.js';

export function envelopeExamplesSuite(ex: FhirExamples): void {
  it(`refuses a wrong resource type or Bundle type 400, a booking-request 422 (${ex.source})`, () => {
    expect(() => readEnvelope('service-request', { resourceType: 'Patient' })).toThrow(
      /accepts ServiceRequest/,
    );
    const searchset = ex.bars.searchset();
    expect(() => readEnvelope('transaction', searchset)).toThrowError(
      expect.objectContaining({ code: 'REC_BAD_REQUEST' }),
    );
    const booking = ex.bars.bookingRequest();
    expect(() => readEnvelope('message', booking)).toThrowError(
      expect.objectContaining({ code: 'REC_UNPROCESSABLE_ENTITY' }),
    );
  });
}
