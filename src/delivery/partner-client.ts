// Sends one exchange's payload to a partner FHIR server in the partner's delivery mode: transaction
// and rest as version-conditional writes (src/delivery/versioned-writes.ts), BaRS messages to
// $process-message, documents as Bundles; and the circuit breaker's probe.
import type { Bundle, MessageHeader, OperationOutcome, ServiceRequest } from 'fhir/r4.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { PartnerError } from './errors.js';
import type { AuthProvider } from './partner-auth.js';
import { CapabilityCache, definitionName } from './partner-capabilities.js';
import { type HttpAnswer, PartnerHttp, type SendRequest } from './partner-http.js';
import { type SendResult, VersionedWriter, type VersionStore } from './versioned-writes.js';

export type { SendRequest } from './partner-http.js';
export type { SendResult, VersionStore } from './versioned-writes.js';
export { withoutConditionalIds } from './versioned-writes.js';

const REC_CONFLICT = 'REC_CONFLICT';

function isRecConflict(body: unknown): boolean {
  const oo = body as OperationOutcome | undefined;
  return (
    oo?.resourceType === 'OperationOutcome' &&
    (oo.issue ?? []).some((i) => (i.details?.coding ?? []).some((c) => c.code === REC_CONFLICT))
  );
}

/**
 * BaRS: the receiver echoes X-Request-Id and X-Correlation-Id on every answer and explains an error
 * with an OperationOutcome. An answer without them came from an intermediary (a gateway or proxy in
 * between), so whether the receiver processed the message is unknown: send it again — a receiver
 * that did process it answers 409 REC_CONFLICT, which counts as delivered.
 */
export function fromIntermediary(answer: HttpAnswer, req: SendRequest): boolean {
  const echoed =
    answer.headers.get('x-request-id') === req.requestId &&
    answer.headers.get('x-correlation-id') === req.correlationId;
  const explained =
    answer.status < 400 || (answer.body as OperationOutcome | undefined)?.resourceType === 'OperationOutcome';
  return !echoed || !explained;
}

/** A referral the receiver has closed takes no update or cancellation. */
const CLOSED = new Set(['completed', 'revoked', 'entered-in-error']);

/** The ServiceRequests a servicerequest-request updates or cancels (reason update, or status revoked). */
function updatedReferrals(payload: Bundle): ServiceRequest[] {
  const header = payload.entry?.[0]?.resource as MessageHeader | undefined;
  if (header?.eventCoding?.code !== 'servicerequest-request') return [];
  const update = header.reason?.coding?.some((c) => c.code === 'update') === true;
  return (payload.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is ServiceRequest => r?.resourceType === 'ServiceRequest')
    .filter((sr) => update || sr.status === 'revoked');
}

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

export class PartnerClient {
  private readonly http: PartnerHttp;
  private readonly writer: VersionedWriter;
  private readonly capabilities: CapabilityCache;

  constructor(
    private readonly partner: PartnerConfig,
    auth: AuthProvider,
    versions: VersionStore,
  ) {
    this.http = new PartnerHttp(partner.baseUrl, partner.timeoutMs, auth);
    this.writer = new VersionedWriter(this.http, versions);
    this.capabilities = new CapabilityCache(this.http);
  }

  /**
   * Sends one exchange. `versions`: where this send reads the partner's versions and keeps what it
   * learns (a delivery attempt's `LearnedVersions`); else the store the client was made with.
   */
  async send(req: SendRequest, versions?: VersionStore): Promise<SendResult> {
    const writer = versions ? new VersionedWriter(this.http, versions) : this.writer;
    switch (this.partner.mode) {
      case 'transaction':
        return writer.transaction(req);
      case 'message':
        return this.sendMessage(req);
      case 'document':
        return req.payload.type === 'transaction' ? writer.transaction(req) : this.sendDocument(req);
      case 'rest':
        return writer.rest(req);
    }
  }

  /**
   * BaRS, before sending: the receiver takes this MessageDefinition (when its CapabilityStatement
   * lists any), and an update or cancellation of a referral is sent only after reading the current
   * ServiceRequest from the receiver — one it has already closed is not updated (a permanent failure).
   */
  private async checkBeforeSending(req: SendRequest): Promise<void> {
    const caps = await this.capabilities.get();
    const header = req.payload.entry?.[0]?.resource as MessageHeader | undefined;
    const definition = header?.definition ? definitionName(header.definition) : undefined;
    if (caps.messages && definition && !caps.messages.has(definition))
      throw new PartnerError('dead', 'not-supported', `the partner does not take ${definition}`);
    if (!caps.searchesServiceRequests) return;
    for (const sr of updatedReferrals(req.payload)) {
      const ident = sr.identifier?.find((i) => i.system && i.value);
      if (!ident?.system || !ident.value) continue;
      const query = `ServiceRequest?identifier=${encodeURIComponent(`${ident.system}|${ident.value}`)}`;
      const answer = await this.http.call('GET', query, await this.http.headers(req));
      if (answer.status >= 500 || answer.status === 429) this.http.fail(answer, 'read before update');
      const current = (answer.body as Bundle | undefined)?.entry?.[0]?.resource as ServiceRequest | undefined;
      if (answer.status < 300 && current && CLOSED.has(current.status))
        throw new PartnerError('dead', 'closed-at-partner', `the partner's referral is ${current.status}`);
    }
  }

  private async sendMessage(req: SendRequest): Promise<SendResult> {
    await this.checkBeforeSending(req);
    const extra: Record<string, string> = {};
    if (this.partner.dosServiceId) {
      extra['nhsd-target-identifier'] = base64Json({
        value: this.partner.dosServiceId,
        system: 'https://fhir.nhs.uk/Id/dos-service-id',
      });
    }
    extra['nhsd-requesting-software'] = base64Json({ name: 'navbridge' });
    const answer = await this.http.call(
      'POST',
      '$process-message',
      await this.http.headers(req, extra),
      req.payload,
    );
    if (fromIntermediary(answer, req))
      throw new PartnerError(
        'retry',
        'intermediary',
        `$process-message answered ${answer.status} without the receiver's ids or OperationOutcome`,
        answer.status,
      );
    // BaRS: a message already processed is answered 409 REC_CONFLICT — it arrived, so it is delivered.
    if (answer.status === 409 && isRecConflict(answer.body))
      return { httpStatus: 409, response: { duplicate: true } };
    if (answer.status >= 300) this.http.fail(answer, '$process-message');
    return { httpStatus: answer.status, response: { messageResponse: true } };
  }

  /** A document is appended, never overwritten: If-None-Exist on its identifier makes a resend harmless. */
  private async sendDocument(req: SendRequest): Promise<SendResult> {
    const ident = req.payload.identifier;
    const extra: Record<string, string> =
      ident?.system && ident.value ? { 'if-none-exist': `identifier=${ident.system}|${ident.value}` } : {};
    const answer = await this.http.call('POST', 'Bundle', await this.http.headers(req, extra), req.payload);
    if (answer.status >= 300) this.http.fail(answer, 'document');
    return { httpStatus: answer.status, response: { location: answer.headers.get('location') ?? null } };
  }

  /** Circuit-breaker probe: is the partner answering at all? */
  async probe(): Promise<boolean> {
    try {
      const answer = await this.http.call('GET', 'metadata', await this.http.headers(undefined));
      return answer.status < 500;
    } catch {
      return false;
    }
  }
}
