// The onward servicerequest-request against BaRS's referral MessageDefinition, as navbridge's own
// receiver checks it (src/intake/bars-message.ts checkBarsRequest, on the message as intake reads it):
// besides the ServiceRequest it must carry the support plan, the navigator, the person's consent and
// the receiving HealthcareService, else the receiver refuses it (422).
import type {
  Bundle,
  CarePlan,
  Consent,
  HealthcareService,
  MessageHeader,
  Practitioner,
  PractitionerRole,
  Resource,
} from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { isNavbridgeError, type NavbridgeError } from '../../../src/errors/index.js';
import { type BarsSite, checkBarsRequest, readInbound } from '../../../src/intake/index.js';
import { SUPPORTED_DEFINITIONS, validateAgainstDefinition } from '../../../src/intake/message-definitions.js';
import { DOS_SERVICE_ID } from '../../../src/payloads/bars-message.js';
import { barsOnwardRequest, ONWARD, resourcesOf } from './bars-fixtures.js';

const receiver: BarsSite = {
  id: 'onward-service',
  odsCode: 'RGD',
  dosServiceIds: [ONWARD.dosServiceId ?? ''],
  useCaseCategories: [],
};
const REFERRAL = SUPPORTED_DEFINITIONS.find((d) => d.id === 'bars-servicerequest-request-referral')!;

/** navbridge's receiver on the message: accepted, or the refusal's status and the types it names. */
function received(message: Bundle): string {
  const { envelope } = readInbound('message', structuredClone(message));
  try {
    checkBarsRequest(envelope, [receiver]);
    return 'accepted';
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    const e = err as NavbridgeError;
    return `${e.status} ${e.outcome.issue.flatMap((i) => i.expression ?? []).join(', ')}`;
  }
}

const without = (message: Bundle, type: string): Bundle => ({
  ...message,
  entry: (message.entry ?? []).filter((e) => e.resource?.resourceType !== type),
});
const one = <T extends Resource>(message: Bundle, type: string): T => {
  const hits = resourcesOf(message).filter((r) => r.resourceType === type);
  expect(hits).toHaveLength(1);
  return hits[0] as T;
};
const headerOf = (message: Bundle) => message.entry?.[0]?.resource as MessageHeader;
const urlOf = (message: Bundle, type: string) =>
  message.entry?.find((e) => e.resource?.resourceType === type)?.fullUrl;

describe("the onward servicerequest-request against BaRS's referral MessageDefinition", () => {
  it("passes navbridge's own receiver check, and fails it without the CarePlan", async () => {
    const message = await barsOnwardRequest();
    expect(validateAgainstDefinition(REFERRAL, resourcesOf(message))).toEqual([]);
    expect(received(message)).toBe('accepted');
    // The check does check: without the support plan the same message is refused.
    expect(received(without(message, 'CarePlan'))).toBe('422 Bundle.entry.resource.ofType(CarePlan)');
    // Without the plan navbridge has no CarePlan to send, and says nothing it does not have.
    expect(received(await barsOnwardRequest({}, { noPlan: true }))).toBe(
      '422 Bundle.entry.resource.ofType(CarePlan)',
    );
  });

  it('keeps the ServiceRequest its focus, the event and the definition', async () => {
    const message = await barsOnwardRequest();
    const header = headerOf(message);
    expect(header.focus).toEqual([{ reference: urlOf(message, 'ServiceRequest') }]);
    expect(message.entry?.[0]?.resource).toMatchObject({
      eventCoding: { code: 'servicerequest-request' },
      definition: REFERRAL.url,
    });
  });

  it('carries only this referral of the plan: no goals, notes or other services’ referrals', async () => {
    const message = await barsOnwardRequest();
    const plan = one<CarePlan>(message, 'CarePlan');
    expect(plan.identifier?.[0]?.value).toBe('PLAN-3001');
    expect(plan.activity).toEqual([{ reference: { reference: urlOf(message, 'ServiceRequest') } }]);
    expect(plan.goal).toBeUndefined();
    expect(plan.note).toBeUndefined();
    expect(plan.subject).toEqual({ reference: urlOf(message, 'Patient') });
    expect(plan.author?.reference).toBe(urlOf(message, 'PractitionerRole'));
    expect(resourcesOf(message).map((r) => r.resourceType)).not.toContain('Goal');
  });

  it('names the navigator with only what navbridge has: identifier and name', async () => {
    const message = await barsOnwardRequest();
    expect(one<Practitioner>(message, 'Practitioner')).toEqual({
      resourceType: 'Practitioner',
      id: expect.any(String),
      identifier: [{ system: 'https://fhir.navbridge.org.uk/Id/leeds-north/navigator', value: 'NAV-07' }],
      name: [{ text: "Siobhán O'Neill" }],
    });
    const role = one<PractitionerRole>(message, 'PractitionerRole');
    expect(role.practitioner?.reference).toBe(urlOf(message, 'Practitioner'));
    const sender = headerOf(message).sender;
    expect(role.organization).toEqual(sender);
  });

  it("states the person's consent to share with this partner, and the receiving service by its DoS id", async () => {
    const message = await barsOnwardRequest();
    const receiverUrl = headerOf(message).destination?.[0]?.receiver?.reference;
    const consent = one<Consent>(message, 'Consent');
    expect(consent.status).toBe('active');
    expect(consent.scope.coding?.[0]?.code).toBe('patient-privacy');
    expect(consent.patient).toEqual({ reference: urlOf(message, 'Patient') });
    expect(consent.provision?.type).toBe('permit');
    expect(consent.provision?.actor?.map((a) => a.reference.reference)).toEqual([receiverUrl]);
    const service = one<HealthcareService>(message, 'HealthcareService');
    expect(service.identifier).toEqual([{ system: DOS_SERVICE_ID, value: ONWARD.dosServiceId }]);
    expect(service.providedBy?.reference).toBe(receiverUrl);
  });

  it('carries the Consent the mapping wrote instead, about the Patient in the message', async () => {
    const mapped: Consent = {
      resourceType: 'Consent',
      id: '3b0f4c7e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
      status: 'active',
      scope: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
      },
      category: [{ text: 'Sharing with onward services' }],
      patient: { type: 'Patient', identifier: { system: 'https://example.org/patient', value: 'X' } },
      policyRule: { text: 'Agreed with the navigator' },
    };
    const message = await barsOnwardRequest({}, { consent: mapped });
    expect(one<Consent>(message, 'Consent')).toEqual({
      ...mapped,
      patient: { reference: urlOf(message, 'Patient') },
    });
    expect(received(message)).toBe('accepted');
  });
});
