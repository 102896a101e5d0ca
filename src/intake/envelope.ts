// The inbound request's envelope (pure): which kind of POST it is, the one ServiceRequest it carries,
// the BaRS MessageHeader, and reference resolution inside the request (contained, fullUrl, Type/id).
// Field mapping is not done here: the inverse mapping (mappings/inbound/) reads the resources.
import type { Bundle, MessageHeader, Resource, ServiceRequest } from 'fhir/r4.js';
import { badRequest, unprocessable } from '../errors/index.js';

export type InboundKind = 'service-request' | 'transaction' | 'message';

export const BARS_EVENT_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/message-events-bars';
export const BARS_REASON_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/message-reason-bars';

export interface InboundMessage {
  header: MessageHeader;
  /** The message's own id: MessageHeader.id, else its urn:uuid fullUrl, else the Bundle id. */
  id: string;
  /**
   * What a response names in MessageHeader.response.identifier: the request's Bundle.id, as the BaRS
   * examples do (and navbridge's own outbound responses), else the message id.
   */
  answerId: string;
  event: string;
  /** BaRS reason: new, update or delete. */
  reason?: string;
}

export interface InboundEnvelope {
  kind: InboundKind;
  body: Resource;
  /** Every resource in the request (Bundle entries and contained resources). */
  resources: Resource[];
  /** The referral; absent only for a BaRS response message. */
  serviceRequest?: ServiceRequest;
  /** The ServiceRequest's fullUrl in the Bundle, when it has one. */
  serviceRequestUrl?: string;
  message?: InboundMessage;
  resolve(reference: unknown): Resource | undefined;
}

const isResource = (v: unknown): v is Resource =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  typeof (v as Resource).resourceType === 'string';

const EXPECTED: Record<InboundKind, { resourceType: string; bundleType?: string }> = {
  'service-request': { resourceType: 'ServiceRequest' },
  transaction: { resourceType: 'Bundle', bundleType: 'transaction' },
  message: { resourceType: 'Bundle', bundleType: 'message' },
};

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const ID = /^[A-Za-z0-9.-]{1,64}$/;
/** Longer references or fullUrls than this name nothing navbridge resolves. */
const MAX_URL = 4_096;

/**
 * The "Type/id" a fullUrl or reference ends in (its last two path segments, a `_history/vid` tail
 * dropped): linear in the text, where a search for the pattern anywhere in it was quadratic.
 */
export function typeIdAtEnd(url: string): string | undefined {
  if (url.length > MAX_URL) return undefined;
  const parts = url.split('/');
  const end = parts.length >= 4 && parts[parts.length - 2] === '_history' ? parts.length - 2 : parts.length;
  const type = parts[end - 2];
  const id = parts[end - 1];
  return type !== undefined && id !== undefined && TYPE.test(type) && ID.test(id)
    ? `${type}/${id}`
    : undefined;
}

/** Builds the reference index: fullUrls, Type/id, absolute URLs ending in Type/id, and '#id' contained. */
function resolver(entries: { fullUrl?: string; resource: Resource }[]) {
  const byUrl = new Map<string, Resource>();
  const byTypeId = new Map<string, Resource>();
  const contained = new Map<string, Resource>();
  for (const { fullUrl, resource } of entries) {
    if (fullUrl) byUrl.set(fullUrl, resource);
    if (resource.id) byTypeId.set(`${resource.resourceType}/${resource.id}`, resource);
    const typeId = fullUrl ? typeIdAtEnd(fullUrl) : undefined;
    if (typeId && !byTypeId.has(typeId)) byTypeId.set(typeId, resource);
    for (const c of (resource as { contained?: unknown[] }).contained ?? []) {
      if (isResource(c) && c.id) contained.set(`#${c.id}`, c);
    }
  }
  return (reference: unknown): Resource | undefined => {
    const ref =
      typeof reference === 'string'
        ? reference
        : typeof reference === 'object' && reference !== null
          ? (reference as { reference?: unknown }).reference
          : undefined;
    if (typeof ref !== 'string' || ref === '') return undefined;
    if (ref.startsWith('#')) return contained.get(ref);
    const exact = byUrl.get(ref) ?? byTypeId.get(ref);
    if (exact) return exact;
    const typeId = typeIdAtEnd(ref);
    return typeId ? byTypeId.get(typeId) : undefined;
  };
}

/**
 * Checks the shape of the request for its route (wrong resource type or Bundle type → 400) and finds
 * the ServiceRequest (none, or more than one → 422). A BaRS message's event must be
 * servicerequest-request or servicerequest-response (anything else → 422 not-supported).
 */
export function readEnvelope(kind: InboundKind, body: unknown): InboundEnvelope {
  if (!isResource(body))
    throw badRequest('the body is not a FHIR resource (no resourceType)', {
      code: 'structure',
      expression: 'resourceType',
    });
  const want = EXPECTED[kind];
  if (body.resourceType !== want.resourceType) {
    throw badRequest(`resourceType: this endpoint accepts ${want.resourceType} only`, {
      code: 'structure',
      expression: 'resourceType',
    });
  }
  const entries: { fullUrl?: string; resource: Resource }[] = [];
  if (body.resourceType === 'Bundle') {
    const b = body as Bundle;
    if (b.type !== want.bundleType) {
      throw badRequest(`Bundle.type: this endpoint accepts a ${want.bundleType} Bundle only`, {
        code: 'structure',
        expression: 'Bundle.type',
      });
    }
    if (!Array.isArray(b.entry) || b.entry.length === 0)
      throw badRequest('Bundle.entry: is empty', { code: 'structure', expression: 'Bundle.entry' });
    b.entry.forEach((e, i) => {
      if (!isResource(e?.resource))
        throw badRequest(`Bundle.entry[${i}].resource: is missing`, {
          code: 'structure',
          expression: `Bundle.entry[${i}]`,
        });
      entries.push({
        ...(typeof e.fullUrl === 'string' ? { fullUrl: e.fullUrl } : {}),
        resource: e.resource,
      });
    });
  } else {
    entries.push({ resource: body });
  }
  const resolve = resolver(entries);
  const resources = entries.flatMap(({ resource }) => [
    resource,
    ...((resource as { contained?: unknown[] }).contained ?? []).filter(isResource),
  ]);
  const envelope: InboundEnvelope = { kind, body, resources, resolve };

  if (kind === 'message') {
    const first = entries[0]!;
    if (first.resource.resourceType !== 'MessageHeader') {
      throw badRequest('Bundle.entry[0]: a message Bundle starts with its MessageHeader', {
        code: 'structure',
        expression: 'Bundle.entry[0]',
      });
    }
    const header = first.resource as MessageHeader;
    const event = header.eventCoding?.code;
    if (!event)
      throw badRequest('MessageHeader.eventCoding: is required', {
        code: 'structure',
        expression: 'MessageHeader.eventCoding',
      });
    const urnId = first.fullUrl?.startsWith('urn:uuid:') ? first.fullUrl.slice(9) : undefined;
    const id = header.id ?? urnId ?? body.id;
    if (!id)
      throw badRequest('MessageHeader.id: the message has no id', {
        code: 'structure',
        expression: 'MessageHeader.id',
      });
    const codings = header.reason?.coding ?? [];
    const reason = (codings.find((c) => c.system === BARS_REASON_SYSTEM) ?? codings[0])?.code;
    envelope.message = { header, id, answerId: body.id ?? id, event, ...(reason ? { reason } : {}) };
    if (event === 'servicerequest-response') return envelope;
    if (event !== 'servicerequest-request') {
      throw unprocessable(
        'MessageHeader.eventCoding: this service accepts servicerequest-request messages (and responses to its own)',
        { expression: 'MessageHeader.eventCoding', code: 'not-supported' },
      );
    }
  }

  const srs = entries.filter((e) => e.resource.resourceType === 'ServiceRequest');
  const focus =
    kind === 'message'
      ? srs.filter((e) => envelope.message?.header.focus?.some((f) => resolve(f) === e.resource))
      : srs;
  const chosen = focus.length > 0 ? focus : srs;
  if (chosen.length !== 1) {
    throw unprocessable(
      `ServiceRequest: the request must carry exactly one referral ServiceRequest (found ${chosen.length})`,
      { expression: 'ServiceRequest' },
    );
  }
  envelope.serviceRequest = chosen[0]!.resource as ServiceRequest;
  if (chosen[0]!.fullUrl) envelope.serviceRequestUrl = chosen[0]!.fullUrl;
  return envelope;
}
