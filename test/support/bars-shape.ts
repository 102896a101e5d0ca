// The fields of a BaRS message that must match the real examples in presence and shape (issue 11 §2),
// reduced to a comparable value: codes and systems as they are, ids and endpoints by their form, and
// references by what they resolve to inside the message. A navbridge message and the real example of
// the same event must reduce to the same value.
import type {
  Bundle,
  Encounter,
  MessageHeader,
  Patient,
  Reference,
  Resource,
  ServiceRequest,
} from 'fhir/r4.js';

/** `dos-service-id|<digits>`, whichever scheme (the examples use http, navbridge the canonical https). */
const dos = (endpoint: string | undefined) =>
  /^https?:\/\/fhir\.nhs\.uk\/Id\/dos-service-id\|\d+$/.test(endpoint ?? '')
    ? 'dos-service-id|<id>'
    : `other: ${endpoint}`;

export function barsShape(bundle: Bundle, requestBundleId?: string) {
  const entries = bundle.entry ?? [];
  const byUrl = new Map(entries.map((e) => [e.fullUrl, e.resource]));
  /** What a reference names: the type of the entry it resolves to, or `<Type> by identifier`. */
  const target = (ref: Reference | undefined): string | undefined => {
    if (!ref) return undefined;
    const hit = ref.reference ? byUrl.get(ref.reference) : undefined;
    if (hit) return hit.resourceType;
    if (ref.reference?.startsWith('urn:uuid:')) return 'unresolved urn';
    const type = ref.type ?? ref.reference?.split('/')[0];
    return `${type} outside the message`;
  };
  const first = <T extends Resource>(type: string) =>
    entries.find((e) => e.resource?.resourceType === type)?.resource as T | undefined;
  const mh = entries[0]?.resource as MessageHeader;
  const event = mh.eventCoding?.code;
  const sr = first<ServiceRequest>('ServiceRequest');
  const encounter = sr?.encounter?.reference ? (byUrl.get(sr.encounter.reference) as Encounter) : undefined;
  const patient = first<Patient>('Patient');
  return {
    bundle: {
      type: bundle.type,
      id: typeof bundle.id === 'string',
      timestamp: typeof bundle.timestamp === 'string',
      first: mh.resourceType,
    },
    header: {
      event: `${mh.eventCoding?.system}|${event}`,
      destination: dos(mh.destination?.[0]?.endpoint),
      receiver: target(mh.destination?.[0]?.receiver),
      sender: target(mh.sender),
      source: dos(mh.source?.endpoint),
      reason: mh.reason?.coding?.[0]?.system,
      response: mh.response && {
        answersTheRequestBundle: mh.response.identifier === requestBundleId,
        code: mh.response.code,
      },
      focusResolves: (mh.focus ?? []).every((f) => byUrl.has(f.reference)),
      definition: mh.definition?.startsWith(`https://fhir.nhs.uk/MessageDefinition/bars-message-${event}`),
    },
    // Its id is optional (the real request names it by fullUrl only).
    serviceRequest: sr && {
      status: typeof sr.status === 'string',
      intent: typeof sr.intent === 'string',
      subject: target(sr.subject)?.replace(' outside the message', ''),
      encounter: target(sr.encounter),
      ...(event === 'servicerequest-request'
        ? {
            category: (sr.category ?? []).some((c) =>
              c.coding?.some(
                (x) => x.system === 'https://fhir.nhs.uk/CodeSystem/message-category-servicerequest',
              ),
            ),
          }
        : {}),
    },
    journey:
      encounter?.episodeOfCare?.length === 1 &&
      (target(encounter.episodeOfCare[0]) ?? '').includes('EpisodeOfCare'),
    // Contact details are optional in the examples (the real request has none): asserted in unit tests.
    patient: event === 'servicerequest-request' && {
      nhsNumber: (patient?.identifier ?? []).some((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number'),
      name: (patient?.name ?? []).length > 0,
      birthDate: typeof patient?.birthDate === 'string',
      address: (patient?.address ?? []).length > 0,
    },
  };
}
