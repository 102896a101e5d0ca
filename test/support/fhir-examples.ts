// The FHIR requests the intake, sandbox messaging and authorisation suites send, from one of two sets:
// navbridge's own fixtures (test/fixtures/fhir, described in its README; what `npm test` uses), or the
// real-world BaRS 1.4.0 and Gravity SDOH examples of a folder laid out like shared/fhir-examples (the
// opt-in conformance test, test/conformance/real-examples.test.ts). Both carry the same features, so
// the suites expect the same answers from either; `facts` holds the few values that differ.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, OperationOutcome, Patient, ServiceRequest } from 'fhir/r4.js';
import { fhirFixture, readJson } from './fixtures.js';

export interface FhirExamples {
  /** Where the examples come from, for suite titles. */
  source: string;
  bars: {
    /**
     * A servicerequest-request (reason new) from the sender with ODS code RND: a MessageHeader with no
     * id (its urn:uuid fullUrl identifies it), http:// DoS ids, lower-case 'id' in ODS systems, a
     * Patient whose NHS number fails the modulus-11 check and who lives outside leeds-north's
     * catchment, an active direct-care Consent, and a performer that names no navigator site.
     */
    request(): Bundle;
    /** The same person referred again, in the pre-1.0 BaRS code systems, with no Consent and no ODS codes. */
    olderSystemsRequest(): Bundle;
    /** A servicerequest-response answering a message navbridge never sent. */
    response(): Bundle;
    /** A booking-request (navbridge takes referrals only). */
    bookingRequest(): Bundle;
    /** A searchset Bundle (with the real one's structural defects). */
    searchset(): Bundle;
    /** The BaRS error catalogue's 409 REC_CONFLICT OperationOutcome. */
    conflict(): OperationOutcome;
  };
  /**
   * Gravity SDOH ServiceRequests: [0] an active referral, [1] its sub-referral (basedOn [0]). Both have
   * no performer, no requester and no consent, and name their Patient only by logical reference.
   */
  gravity: readonly { label: string; serviceRequest(): ServiceRequest }[];
  facts: {
    /** The request's MessageHeader fullUrl uuid (the message's own id). */
    requestMessageId: string;
    /** The request's Bundle.id: what a response to it names in MessageHeader.response.identifier. */
    requestBundleId: string;
    /** The request Patient's NHS number (fails modulus 11). */
    requestNhsNumber: string;
    /** The display of the older-systems request's reasonCode: the stored referral's reason. */
    olderSystemsReason: string;
    /** The logical id of the Patient the Gravity ServiceRequests' subject names. */
    gravityPatientId: string;
  };
}

/** navbridge's own fixtures (test/fixtures/fhir). */
export function navbridgeExamples(): FhirExamples {
  const bundle = (file: string) => () => fhirFixture<Bundle>(`bars/${file}`);
  const gravity = (file: string) => () => fhirFixture<ServiceRequest>(`gravity/${file}`);
  return {
    source: 'navbridge fixtures',
    bars: {
      request: bundle('servicerequest-request-new.json'),
      olderSystemsRequest: bundle('servicerequest-request-older-systems.json'),
      response: bundle('servicerequest-response.json'),
      bookingRequest: bundle('booking-request.json'),
      searchset: bundle('servicerequest-searchset.json'),
      conflict: () => fhirFixture<OperationOutcome>('bars/operation-outcome-409-REC_CONFLICT.json'),
    },
    gravity: [
      { label: 'active referral', serviceRequest: gravity('servicerequest-food-support.json') },
      { label: 'sub-referral', serviceRequest: gravity('servicerequest-food-subreferral.json') },
    ],
    facts: {
      requestMessageId: 'dcb83abd-4d35-470b-8239-7920db17af8e',
      requestBundleId: 'c2482b4d-03d4-4229-a56a-0da4e18f2843',
      requestNhsNumber: '4857773452',
      olderSystemsReason: 'Anxiety and low mood, money worries',
      gravityPatientId: 'navbridge-example-patient-7',
    },
  };
}

/** Where each real example sits in a folder laid out like shared/fhir-examples. */
export const REAL_EXAMPLE_FILES = {
  request: 'bars-api/process_message/request/ValidationRequest-POST.json',
  olderSystemsRequest: 'bars-api/process_message/response/ValidationRequest-HTTP-Response.json',
  response: 'bars-api/process_message/request/ValidationResponse-POST.json',
  bookingRequest: 'bars-api/process_message/POST-body.json',
  searchset: 'bars-api/service_request/GET-success.json',
  conflict: 'bars-api/OperationOutcome/REC/409-REC_CONFLICT-duplicate.json',
  gravityActive:
    'sdoh-clinicalcare/ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json',
  gravitySubreferral:
    'sdoh-clinicalcare/ServiceRequest-SDOHCC-ServiceRequestSubreferralSummerFoodProgramExample.json',
} as const;

/** Throws, naming every file that is missing, unless `dir` holds all the real examples. */
export function assertRealExamples(dir: string): void {
  const root = path.resolve(dir);
  const missing = Object.values(REAL_EXAMPLE_FILES).filter((f) => !existsSync(path.join(root, f)));
  if (missing.length > 0) {
    throw new Error(`${root} lacks these real-world examples:\n  ${missing.join('\n  ')}`);
  }
}

/** The real-world examples in `dir` (read when a test asks for one; assertRealExamples checks them). */
export function realExamples(dir: string): FhirExamples {
  const root = path.resolve(dir);
  const file =
    <T>(key: keyof typeof REAL_EXAMPLE_FILES) =>
    () =>
      readJson<T>(path.join(root, REAL_EXAMPLE_FILES[key]));
  const label = (key: 'gravityActive' | 'gravitySubreferral') =>
    REAL_EXAMPLE_FILES[key].split('-').slice(-1)[0]!;
  return {
    source: 'real examples',
    bars: {
      request: file<Bundle>('request'),
      olderSystemsRequest: file<Bundle>('olderSystemsRequest'),
      response: file<Bundle>('response'),
      bookingRequest: file<Bundle>('bookingRequest'),
      searchset: file<Bundle>('searchset'),
      conflict: file<OperationOutcome>('conflict'),
    },
    gravity: [
      { label: label('gravityActive'), serviceRequest: file<ServiceRequest>('gravityActive') },
      { label: label('gravitySubreferral'), serviceRequest: file<ServiceRequest>('gravitySubreferral') },
    ],
    facts: {
      requestMessageId: '1cbdfb97-5859-48a4-8301-d54eab818d68',
      requestBundleId: '86e3371d-1c15-4862-9552-d9560f8292ba',
      requestNhsNumber: '3478526985',
      olderSystemsReason: 'SD Code example',
      gravityPatientId: 'pat-53234',
    },
  };
}

/**
 * A partner's FHIR transaction referring a new person (gp-a's ServiceRequest with its Patient `pat-1`),
 * as `POST /fhir` takes it; `srId` is the ServiceRequest's id at the partner.
 */
export function partnerReferralBundle(p: { nhs: string; family: string }): { bundle: Bundle; srId: string } {
  const sr: ServiceRequest = navbridgeExamples().gravity[0]!.serviceRequest();
  const patient: Patient = {
    resourceType: 'Patient',
    id: 'pat-1',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: p.nhs }],
    name: [{ family: p.family, given: ['Sam'] }],
    birthDate: '1987-02-20',
  };
  sr.id = `sr-${randomUUID().slice(0, 8)}`;
  sr.subject = { reference: 'Patient/pat-1' };
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `http://gp-a.example/fhir/ServiceRequest/${sr.id}`,
        resource: sr,
        request: { method: 'POST', url: 'ServiceRequest' },
      },
      {
        fullUrl: 'http://gp-a.example/fhir/Patient/pat-1',
        resource: patient,
        request: { method: 'PUT', url: 'Patient/pat-1' },
      },
    ],
  };
  return { bundle, srId: sr.id };
}
