// Sends one exchange's payload to a partner FHIR server in the partner's delivery mode: transaction
// and rest as version-conditional writes (src/delivery/versioned-writes.ts), BaRS messages to
// $process-message, documents as Bundles; and the circuit breaker's probe.
import type { OperationOutcome } from 'fhir/r4.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { PartnerError } from './errors.js';
import type { AuthProvider } from './partner-auth.js';
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

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

export class PartnerClient {
  private readonly http: PartnerHttp;
  private readonly writer: VersionedWriter;

  constructor(
    private readonly partner: PartnerConfig,
    auth: AuthProvider,
    versions: VersionStore,
  ) {
    this.http = new PartnerHttp(partner.baseUrl, partner.timeoutMs, auth);
    this.writer = new VersionedWriter(this.http, versions);
  }

  async send(req: SendRequest): Promise<SendResult> {
    switch (this.partner.mode) {
      case 'transaction':
        return this.writer.transaction(req);
      case 'message':
        return this.sendMessage(req);
      case 'document':
        return req.payload.type === 'transaction' ? this.writer.transaction(req) : this.sendDocument(req);
      case 'rest':
        return this.writer.rest(req);
    }
  }

  private async sendMessage(req: SendRequest): Promise<SendResult> {
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
