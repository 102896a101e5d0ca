// What a BaRS requester must find again in navbridge's answers (issue 11 §2, pure): the request
// message's Bundle.id (a servicerequest-response names it in MessageHeader.response.identifier), its
// ServiceRequest's id as sent (responses carry the requester's ServiceRequest, not navbridge's copy)
// and the journey the referral belongs to (Encounter.episodeOfCare, kept across onward referrals).
import type { Encounter, Reference } from 'fhir/r4.js';
import type { InboundEnvelope } from './envelope.js';

export interface JourneyReference {
  reference?: string;
  identifier?: { system: string; value: string };
}

export interface BarsRequest {
  /** Bundle.id of the request message. */
  requestBundleId?: string;
  /** The requester's ServiceRequest id: its `id`, else the UUID of its `urn:uuid:` fullUrl. */
  serviceRequestId?: string;
  /** Encounter.episodeOfCare of the referral's encounter, as received. */
  journey?: JourneyReference;
}

const ID = /^[A-Za-z0-9.-]{1,64}$/;
const URN_UUID = /^urn:uuid:([0-9a-fA-F-]{36})$/;
/** `EpisodeOfCare/<id>`, an absolute URL ending in it, or a `urn:uuid:` (the examples use all three). */
const EPISODE =
  /^(?:https?:\/\/[^\s]{1,400}\/)?EpisodeOfCare\/[A-Za-z0-9.-]{1,64}$|^urn:uuid:[0-9a-fA-F-]{36}$/;

const validId = (v: unknown): string | undefined => (typeof v === 'string' && ID.test(v) ? v : undefined);

function journeyOf(ref: Reference | undefined): JourneyReference | undefined {
  if (!ref) return undefined;
  if (typeof ref.reference === 'string' && EPISODE.test(ref.reference)) return { reference: ref.reference };
  const i = ref.identifier;
  if (i?.system && i.value && i.system.length <= 400 && i.value.length <= 200)
    return { identifier: { system: i.system, value: i.value } };
  return undefined;
}

export function barsRequestOf(envelope: InboundEnvelope): BarsRequest {
  if (envelope.kind !== 'message') return {};
  const sr = envelope.serviceRequest;
  const urn = URN_UUID.exec(envelope.serviceRequestUrl ?? '')?.[1];
  const serviceRequestId = validId(sr?.id) ?? urn;
  const linked = envelope.resolve(sr?.encounter);
  const encounter = (
    linked?.resourceType === 'Encounter'
      ? linked
      : envelope.resources.find((r) => r.resourceType === 'Encounter')
  ) as Encounter | undefined;
  const journey = journeyOf(encounter?.episodeOfCare?.[0]);
  const requestBundleId = validId(envelope.body.id);
  return {
    ...(requestBundleId ? { requestBundleId } : {}),
    ...(serviceRequestId ? { serviceRequestId } : {}),
    ...(journey ? { journey } : {}),
  };
}
