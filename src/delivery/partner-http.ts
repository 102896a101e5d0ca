// One HTTP call to a partner FHIR server, on Node's fetch: headers (ids, auth), a timeout, and a
// classification of what went wrong (network, timeout, or the HTTP status with the partner's
// OperationOutcome). No client library with a debug switch that could print bodies (patient data).
import type { Bundle, OperationOutcome, Resource } from 'fhir/r4.js';
import { classifyStatus, PartnerError, parseRetryAfter } from './errors.js';
import type { AuthProvider } from './partner-auth.js';

export interface SendRequest {
  exchangeId: string;
  payload: Bundle;
  requestId: string;
  correlationId: string;
}

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body (undefined when there is none, or it is not JSON). */
  body: unknown;
  headers: Headers;
}

/** A partner's answer is read up to this size (an error page larger than this is cut, not parsed). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Connection errors raised before a connection existed: no request byte can have been sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The system error code under fetch's `TypeError: fetch failed` (its cause, or the cause's cause). */
function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export class PartnerHttp {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    private readonly auth: AuthProvider,
  ) {
    this.base = baseUrl.replace(/\/$/, '');
  }

  async headers(
    req: SendRequest | undefined,
    extra: Record<string, string> = {},
  ): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      accept: 'application/fhir+json',
      ...(req
        ? {
            'content-type': 'application/fhir+json',
            'x-request-id': req.requestId,
            'x-correlation-id': req.correlationId,
          }
        : {}),
      ...extra,
    };
    const authz = await this.auth.header();
    if (authz) h.authorization = authz;
    return h;
  }

  /** One HTTP call; never throws for an HTTP status, only for network failure or timeout. */
  async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<HttpAnswer> {
    const url = path ? `${this.base}/${path}` : this.base;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await readCapped(res);
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new PartnerError('retry', 'timeout', `no answer within ${this.timeoutMs} ms`);
      // No connection was ever made (refused, no such host, no route): nothing reached the partner,
      // so the attempt's outcome is known — unlike a connection lost after sending (`network`).
      if (NOT_CONNECTED.has(causeCode(err) ?? ''))
        throw new PartnerError('retry', 'unreachable', 'partner refused the connection or has no route');
      throw new PartnerError('retry', 'network', 'partner unreachable');
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  fail(answer: HttpAnswer, what: string): never {
    const oo =
      (answer.body as Resource | undefined)?.resourceType === 'OperationOutcome'
        ? (answer.body as OperationOutcome)
        : undefined;
    throw new PartnerError(
      classifyStatus(answer.status),
      `http-${answer.status}`,
      `${what} answered ${answer.status}`,
      answer.status,
      oo,
      parseRetryAfter(answer.headers.get('retry-after')),
    );
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return '';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
