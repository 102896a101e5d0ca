// Inbound intake (pure): tolerant read → envelope → inverse mapping → the referral record and what
// navbridge must do with it. The HTTP layer (src/api/fhir) adds storage, site choice and tenancy.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { v5 as uuidv5 } from 'uuid';
import { NAVBRIDGE_NAMESPACE } from '../fhir/ids.js';
import { type InboundEnvelope, type InboundKind, readEnvelope } from './envelope.js';
import {
  type CompiledInverseMapping,
  type InboundMapped,
  type InboundPartner,
  runInverseMapping,
} from './inverse-mapping.js';
import { normaliseInbound } from './normalise.js';

export * from './bars-message.js';
export * from './envelope.js';
export * from './inverse-mapping.js';
export * from './message-definitions.js';
export { normaliseInbound, RETIRED_SYSTEMS } from './normalise.js';
export * from './requester.js';

/** The navbridge source id of a partner's referral: the same partner and identity → the same id. */
export function inboundReferralId(partnerId: string, identity: { system: string; value: string }): string {
  return uuidv5(
    JSON.stringify(['inbound-referral', partnerId, identity.system, identity.value]),
    NAVBRIDGE_NAMESPACE,
  );
}

export interface InboundRead {
  envelope: InboundEnvelope;
  notes: OperationOutcomeIssue[];
}

/** Tolerant read and envelope check (400/422 NavbridgeErrors for structural problems). */
export function readInbound(kind: InboundKind, body: unknown): InboundRead {
  const { value, notes } = normaliseInbound(body);
  return { envelope: readEnvelope(kind, value), notes };
}

export interface InboundMapResult extends InboundMapped {
  referralId: string;
  notes: OperationOutcomeIssue[];
}

/** Maps a referral request (not a BaRS response message) with the partner's inverse mapping. */
export async function mapInbound(
  mapping: CompiledInverseMapping,
  read: InboundRead,
  partner: InboundPartner,
  now: string,
): Promise<InboundMapResult> {
  const mapped = await runInverseMapping(mapping, { envelope: read.envelope, partner, now });
  return { ...mapped, referralId: inboundReferralId(partner.id, mapped.identity), notes: read.notes };
}

/** The kind of request a body is, for golden examples (the API knows it from the route). */
export function kindOf(body: unknown): InboundKind {
  const b = body as { resourceType?: unknown; type?: unknown } | null;
  if (b?.resourceType === 'Bundle') return b.type === 'message' ? 'message' : 'transaction';
  return 'service-request';
}
export { checkInverseMapping } from './check.js';
