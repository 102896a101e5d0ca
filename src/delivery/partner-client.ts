// Sends one exchange's payload to a partner FHIR server in the partner's delivery mode, through
// fhir-kit-client with our own classification and retry policy (fhir-kit-client has none).
import type { Bundle, BundleEntry, OperationOutcome, Resource } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import type { PartnerConfig } from '../settings/app-config.js';
import {
  type KnownVersion,
  planWrites,
  versionedResources,
  versionFromResponse,
  versionKey,
} from './conditional-writes.js';
import { classifyStatus, PartnerError, parseRetryAfter } from './errors.js';
import type { AuthProvider } from './partner-auth.js';
import { silenceClientDebugLogging } from './quiet.js';

silenceClientDebugLogging();

export interface EtagStore {
  get(resourceType: string, resourceId: string): Promise<string | undefined>;
  getMany(resources: readonly { resourceType: string; id: string }[]): Promise<Map<string, KnownVersion>>;
  set(resourceType: string, resourceId: string, serverId: string, etag: string | undefined): Promise<void>;
}

export interface SendRequest {
  exchangeId: string;
  payload: Bundle;
  requestId: string;
  correlationId: string;
}

export interface SendResult {
  httpStatus: number;
  /** Small summary of the partner's answer, stored with the attempt (no payload echo). */
  response: unknown;
}

type FhirClient = InstanceType<typeof Client>;

interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Headers | undefined;
}

const REC_CONFLICT = 'REC_CONFLICT';

function isRecConflict(body: unknown): boolean {
  const oo = body as OperationOutcome | undefined;
  return (
    oo?.resourceType === 'OperationOutcome' &&
    (oo.issue ?? []).some((i) => (i.details?.coding ?? []).some((c) => c.code === REC_CONFLICT))
  );
}

/**
 * FHIR R4 conditional update answers 400 when the one match has another id than the body's. A partner
 * may already hold the resource under its own id (e.g. an Organization by ODS code), so conditional
 * writes carry no id: the business identifier is the key, and urn:uuid fullUrls still link entries.
 */
export function withoutConditionalIds(bundle: Bundle): Bundle {
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e) => {
      if (!e.resource || !e.request?.url.includes('?')) return e;
      const { id: _id, ...rest } = e.resource;
      return { ...e, resource: rest as Resource };
    }),
  };
}

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

export class PartnerClient {
  private readonly client: FhirClient;

  constructor(
    private readonly partner: PartnerConfig,
    private readonly auth: AuthProvider,
    private readonly etags: EtagStore,
  ) {
    this.client = new Client({ baseUrl: partner.baseUrl.replace(/\/$/, '') });
  }

  private async headers(
    req: SendRequest,
    extra: Record<string, string> = {},
  ): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      accept: 'application/fhir+json',
      'content-type': 'application/fhir+json',
      'x-request-id': req.requestId,
      'x-correlation-id': req.correlationId,
      ...extra,
    };
    const authz = await this.auth.header();
    if (authz) h.authorization = authz;
    return h;
  }

  /** One HTTP call; never throws for an HTTP status, only for network failure or timeout. */
  private async call(
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    headers: Record<string, string>,
    body?: unknown,
  ) {
    const signal = AbortSignal.timeout(this.partner.timeoutMs);
    try {
      const result = await this.client.request(url, {
        method,
        options: { headers, signal },
        ...(body === undefined ? {} : { body }),
      });
      const http = Client.httpFor(result as never) as { response?: Response } | undefined;
      return {
        status: http?.response?.status ?? 200,
        body: result,
        headers: http?.response?.headers,
      } as HttpAnswer;
    } catch (err) {
      const e = err as {
        name?: string;
        response?: { status?: number; data?: unknown };
        config?: { headers?: Headers };
      };
      if (e.response?.status)
        return { status: e.response.status, body: e.response.data, headers: e.config?.headers };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new PartnerError('retry', 'timeout', `no answer within ${this.partner.timeoutMs} ms`);
      throw new PartnerError('retry', 'network', 'partner unreachable');
    }
  }

  private fail(answer: HttpAnswer, what: string): never {
    const kind = classifyStatus(answer.status);
    const oo =
      (answer.body as Resource | undefined)?.resourceType === 'OperationOutcome'
        ? (answer.body as OperationOutcome)
        : undefined;
    throw new PartnerError(
      kind,
      `http-${answer.status}`,
      `${what} answered ${answer.status}`,
      answer.status,
      oo,
      parseRetryAfter(answer.headers?.get('retry-after')),
    );
  }

  async send(req: SendRequest): Promise<SendResult> {
    switch (this.partner.mode) {
      case 'transaction':
        return this.sendBundle('', req);
      case 'message':
        return this.sendMessage(req);
      case 'document':
        return req.payload.type === 'transaction' ? this.sendBundle('', req) : this.sendDocument(req);
      case 'rest':
        return this.sendRest(req);
    }
  }

  /**
   * A transaction of version-conditional writes. Refused with 412 (someone wrote since the version we
   * know, or a late write of ours landed first): planned again from what the partner holds now, once.
   */
  private async sendBundle(path: string, req: SendRequest): Promise<SendResult> {
    const versioned = versionedResources(req.payload);
    let known = await this.etags.getMany(versioned);
    for (let tryNo = 0; ; tryNo++) {
      const planned = planWrites(req.payload, known);
      const answer = await this.call('POST', path, await this.headers(req), withoutConditionalIds(planned));
      if (answer.status === 412 && tryNo === 0) {
        known = await this.currentVersions(req, planned);
        continue;
      }
      // Refused twice: writes are racing at the partner; the next attempt plans again.
      if (answer.status === 412)
        throw new PartnerError('retry', 'http-412', 'transaction precondition failed twice', 412);
      if (answer.status >= 300) this.fail(answer, 'transaction');
      const responses = (answer.body as Bundle | undefined)?.entry ?? [];
      await this.recordVersions(
        planned,
        responses.map((e) => e.response),
      );
      return {
        httpStatus: answer.status,
        response: { entries: responses.map((e) => e.response?.status ?? '') },
      };
    }
  }

  /** The versions the partner holds now of a payload's versioned resources (read by their identifier). */
  private async currentVersions(req: SendRequest, planned: Bundle): Promise<Map<string, KnownVersion>> {
    const out = new Map<string, KnownVersion>();
    for (const e of planned.entry ?? []) {
      const r = e.resource;
      const search = e.request?.url.includes('?')
        ? e.request.url
        : e.request?.ifNoneExist
          ? `${r?.resourceType}?${e.request.ifNoneExist}`
          : undefined;
      if (!r?.id || !search) continue;
      const answer = await this.call('GET', search, await this.headers(req));
      if (answer.status >= 300) this.fail(answer, 'read for If-Match');
      const match = (answer.body as Bundle | undefined)?.entry?.[0]?.resource;
      if (match?.id)
        out.set(versionKey(r.resourceType, r.id), {
          serverId: match.id,
          etag: match.meta?.versionId ? `W/"${match.meta.versionId}"` : undefined,
        });
    }
    return out;
  }

  /** Keeps the id and version the partner gave each written resource (the next write's If-Match). */
  private async recordVersions(
    planned: Bundle,
    responses: (BundleEntry['response'] | undefined)[],
  ): Promise<void> {
    for (const [i, e] of (planned.entry ?? []).entries()) {
      const r = e.resource;
      const v = versionFromResponse(responses[i]);
      if (r?.id && v) await this.etags.set(r.resourceType, r.id, v.serverId, v.etag);
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
    const answer = await this.call('POST', '$process-message', await this.headers(req, extra), req.payload);
    // BaRS: a message already processed is answered 409 REC_CONFLICT — it arrived, so it is delivered.
    if (answer.status === 409 && isRecConflict(answer.body))
      return { httpStatus: 409, response: { duplicate: true } };
    if (answer.status >= 300) this.fail(answer, '$process-message');
    return { httpStatus: answer.status, response: { messageResponse: true } };
  }

  private async sendDocument(req: SendRequest): Promise<SendResult> {
    const ident = req.payload.identifier;
    const extra: Record<string, string> =
      ident?.system && ident.value ? { 'if-none-exist': `identifier=${ident.system}|${ident.value}` } : {};
    const answer = await this.call('POST', 'Bundle', await this.headers(req, extra), req.payload);
    if (answer.status >= 300) this.fail(answer, 'document');
    return { httpStatus: answer.status, response: { location: answer.headers?.get('location') ?? null } };
  }

  /** rest mode: each entry as its own version-conditional request (If-Match, or If-None-Exist). */
  private async sendRest(req: SendRequest): Promise<SendResult> {
    const known = await this.etags.getMany(versionedResources(req.payload));
    const statuses: number[] = [];
    for (const entry of req.payload.entry ?? []) {
      statuses.push(await this.sendEntry(req, entry, known));
    }
    return { httpStatus: 200, response: { entries: statuses } };
  }

  private async sendEntry(
    req: SendRequest,
    entry: BundleEntry,
    known: Map<string, KnownVersion>,
  ): Promise<number> {
    const resource = entry.resource;
    if (!resource?.id || !entry.request)
      throw new PartnerError('dead', 'invalid-payload', 'rest entry without resource or request');
    const type = resource.resourceType;
    let versions = known;
    for (let tryNo = 0; tryNo < 2; tryNo++) {
      const planned = planWrites({ resourceType: 'Bundle', type: 'batch', entry: [entry] }, versions)
        .entry![0]!;
      const request = planned.request!;
      const extra: Record<string, string> = {};
      if (request.ifNoneExist) extra['if-none-exist'] = request.ifNoneExist;
      if (request.ifMatch) extra['if-match'] = request.ifMatch;
      const { id: _ours, ...body } = resource;
      const sent = request.url.includes('?') || request.method === 'POST' ? body : resource;
      const answer = await this.call(
        request.method as 'PUT' | 'POST',
        request.url,
        await this.headers(req, extra),
        sent,
      );
      if (answer.status < 300) {
        const serverId = (answer.body as Resource | undefined)?.id ?? '';
        await this.etags.set(type, resource.id, serverId, answer.headers?.get('etag') ?? undefined);
        return answer.status;
      }
      if (answer.status === 412 && tryNo === 0) {
        // A write landed since the version we know: plan again from what the partner holds now.
        versions = await this.currentVersions(req, {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [planned],
        });
        continue;
      }
      this.fail(answer, `${request.method} ${type}`);
    }
    throw new PartnerError('retry', 'http-412', `${type} precondition failed twice`, 412);
  }

  /** Circuit-breaker probe: is the partner answering at all? */
  async probe(): Promise<boolean> {
    try {
      const answer = await this.call('GET', 'metadata', { accept: 'application/fhir+json' });
      return answer.status < 500;
    } catch {
      return false;
    }
  }
}
