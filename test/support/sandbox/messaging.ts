// BaRS-style `$process-message` receiver for sandbox partners (medplum has none): stores the message's
// resources (conditional on their business identifiers, one transaction), refuses a repeated message
// with 409 REC_CONFLICT and answers 200 with a response message whose MessageHeader.response.code is ok.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, MessageHeader, OperationOutcome } from '@medplum/fhirtypes';
import type { SandboxRepository } from './sandbox-repo.js';
import { runTransaction } from './transaction.js';

export interface ProcessedMessage {
  requestId?: string;
  correlationId?: string;
  bundleId?: string;
  /** `system|value` of Bundle.identifier. */
  bundleIdentifier?: string;
  messageHeaderId?: string;
  event?: string;
  reason?: string;
  /** NHSD-* headers, Base64-decoded (raw when not valid Base64 text). Header names lower-case. */
  nhsdHeaders: Record<string, string>;
  /** `Type/id` of every stored resource, in message order. */
  stored: string[];
  receivedAt: string;
}

export type MessageResult = { status: number; body: Bundle | OperationOutcome };

/** BaRS error outcome. The 'Codesystem' spelling is verbatim from the BaRS 1.4.0 examples. */
export function barsOutcome(code: string, issueType: 'duplicate' | 'invalid' | 'processing', text: string) {
  return {
    resourceType: 'OperationOutcome' as const,
    issue: [
      {
        severity: 'error' as const,
        code: issueType,
        details: { coding: [{ system: 'https://fhir.nhs.uk/Codesystem/http-error-codes', code }] },
        diagnostics: text,
      },
    ],
  };
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function decodeNhsdHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('nhsd-') || typeof value !== 'string') continue;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    // Round-trip check: Buffer.from() silently skips non-Base64 characters.
    const isBase64 =
      Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') === value.replace(/=+$/, '');
    out[name] = isBase64 ? decoded : value;
  }
  return out;
}

/** Message entries → transaction: business identifiers become conditional updates, the rest creates. */
function toTransaction(entries: BundleEntry[]): Bundle {
  const seen = new Set<string>();
  const entry: BundleEntry[] = [];
  for (const { fullUrl, resource } of entries) {
    if (!resource) continue;
    const { id: _serverAssigns, ...body } = resource;
    const ident = 'identifier' in resource ? [resource.identifier].flat()[0] : undefined;
    const key =
      ident?.system && ident.value
        ? `${resource.resourceType}?identifier=${ident.system}|${ident.value}`
        : '';
    const conditional = key !== '' && !seen.has(key);
    if (conditional) seen.add(key);
    const url = conditional
      ? `${resource.resourceType}?identifier=${encodeURIComponent(`${ident?.system}|${ident?.value}`)}`
      : resource.resourceType;
    entry.push({
      ...(fullUrl ? { fullUrl } : {}),
      resource: body as BundleEntry['resource'],
      request: { method: conditional ? 'PUT' : 'POST', url },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

export class MessageReceiver {
  private readonly seen = new Set<string>();
  readonly processed: ProcessedMessage[] = [];

  constructor(
    private readonly repo: SandboxRepository,
    private readonly router: FhirRouter,
    private readonly endpoint: string,
    private readonly options: { requireRequestId: boolean },
  ) {}

  async process(body: unknown, headers: IncomingHttpHeaders): Promise<MessageResult> {
    const bundle = body as Bundle | undefined;
    const mh = bundle?.entry?.[0]?.resource as MessageHeader | undefined;
    if (
      bundle?.resourceType !== 'Bundle' ||
      bundle.type !== 'message' ||
      mh?.resourceType !== 'MessageHeader'
    ) {
      const text = 'A message Bundle whose first entry is a MessageHeader is required';
      return { status: 400, body: barsOutcome('REC_BAD_REQUEST', 'invalid', text) };
    }
    const requestId = header(headers, 'x-request-id');
    if (!requestId && this.options.requireRequestId) {
      return {
        status: 400,
        body: barsOutcome('REC_BAD_REQUEST', 'invalid', 'X-Request-Id header is required'),
      };
    }
    const bundleIdentifier = bundle.identifier?.value
      ? `${bundle.identifier.system ?? ''}|${bundle.identifier.value}`
      : undefined;
    const keys = [
      bundleIdentifier && `bundle-identifier:${bundleIdentifier}`,
      mh.id && `message-header:${mh.id}`,
      requestId && `request-id:${requestId}`,
    ].filter((k): k is string => Boolean(k));
    if (keys.some((k) => this.seen.has(k))) {
      const text = 'the message has been identified as having already been processed.';
      return { status: 409, body: barsOutcome('REC_CONFLICT', 'duplicate', text) };
    }

    const result = await runTransaction(this.repo, this.router, toTransaction((bundle.entry ?? []).slice(1)));
    if (!result.ok) {
      const text = result.outcome.issue?.[0]?.diagnostics ?? 'The message content could not be stored';
      const code = result.status >= 500 ? 'REC_SERVER_ERROR' : 'REC_UNPROCESSABLE_ENTITY';
      return { status: result.status >= 500 ? 500 : 422, body: barsOutcome(code, 'processing', text) };
    }
    // Only a stored message counts as processed, so a sender may resend one that failed.
    for (const k of keys) this.seen.add(k);
    const stored = (result.bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    this.processed.push({
      ...(requestId ? { requestId } : {}),
      ...(header(headers, 'x-correlation-id') ? { correlationId: header(headers, 'x-correlation-id') } : {}),
      ...(bundle.id ? { bundleId: bundle.id } : {}),
      ...(bundleIdentifier ? { bundleIdentifier } : {}),
      ...(mh.id ? { messageHeaderId: mh.id } : {}),
      ...(mh.eventCoding?.code ? { event: mh.eventCoding.code } : {}),
      ...(mh.reason?.coding?.[0]?.code ? { reason: mh.reason.coding[0].code } : {}),
      nhsdHeaders: decodeNhsdHeaders(headers),
      stored,
      receivedAt: new Date().toISOString(),
    });
    return { status: 200, body: this.responseMessage(bundle, mh) };
  }

  /** BaRS response: a message Bundle whose MessageHeader answers the request's header (or Bundle) id. */
  private responseMessage(request: Bundle, mh: MessageHeader): Bundle {
    const event = mh.eventCoding?.code?.replace(/-request$/, '-response');
    // BaRS examples send the MessageHeader without an id: its fullUrl identifies it.
    const headerUrl = request.entry?.[0]?.fullUrl;
    const headerId = randomUUID();
    const response: MessageHeader = {
      resourceType: 'MessageHeader',
      id: headerId,
      eventCoding: { ...mh.eventCoding, ...(event ? { code: event } : {}) },
      source: { endpoint: this.endpoint },
      ...(mh.source?.endpoint ? { destination: [{ endpoint: mh.source.endpoint }] } : {}),
      response: { identifier: mh.id ?? headerUrl?.replace(/^urn:uuid:/, '') ?? request.id ?? '', code: 'ok' },
    };
    return {
      resourceType: 'Bundle',
      id: randomUUID(),
      type: 'message',
      timestamp: new Date().toISOString(),
      entry: [{ fullUrl: `urn:uuid:${headerId}`, resource: response }],
    };
  }

  reset(): void {
    this.seen.clear();
    this.processed.length = 0;
  }
}
