// A real FHIR R4 server process playing a partner (NHS trust, GP practice, community service) in tests
// and the demo: @medplum/fhir-router over an in-memory store, behind node:http.
//
// From medplum's FhirRouter/MemoryRepository as they are: read, vread, _history, update (PUT Type/id,
// If-Match → 412 on a stale version), patch, delete, search (any R4 search parameter, e.g.
// identifier=system|value; _count/_offset), create with If-None-Exist, batch Bundles, urn:uuid
// reference resolution and conditional entries inside Bundles.
// Added here: HTTP itself (status, ETag, Last-Modified, Location, fhir+json, malformed JSON → 400);
// R4 definitions loading (without it no search matches); sequential versionIds; server-assigned ids on
// POST; conditional update by the R4 rules with If-Match; atomic transactions of any size (rollback);
// paging links and fullUrl on searchsets, with a default page size; a deduplicating BaRS
// `$process-message`; document Bundles on POST /Bundle; GET /metadata; request log; fault injection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { badRequest, getStatus, normalizeOperationOutcome, parseSearchRequest } from '@medplum/core';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type * as R4 from 'fhir/r4.js';
import { capabilityStatement } from './capability.js';
import { conditionalPut } from './conditional.js';
import {
  BodyTooLarge,
  decorateSearchset,
  jsonBody,
  parseJson,
  type Reply,
  readBody,
  resourceHeaders,
  withDefaultCount,
} from './http-reply.js';
import { barsOutcome, MessageReceiver, type ProcessedMessage } from './messaging.js';
import { loadFhirDefinitions, SandboxRepository, Serializer } from './sandbox-repo.js';
import { runTransaction } from './transaction.js';

export type { ProcessedMessage } from './messaging.js';

export interface PartnerServerOptions {
  /** Shown in logs and the CapabilityStatement, e.g. `trust` or `gp`. */
  name: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** FHIR base path; default `/fhir`. */
  basePath?: string;
  /** Page size of searches without `_count`; default 20. */
  pageSize?: number;
  /** BaRS makes X-Request-Id mandatory on `$process-message`; default true. */
  requireRequestId?: boolean;
  maxBodyBytes?: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  /** Path below the FHIR base, with query string, e.g. `/CarePlan?identifier=…`. */
  path: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body?: unknown;
}

/**
 * One canned answer for the next request (metadata excluded): a status, a dropped connection, or a
 * slow answer — the request is processed as usual, then its answer is held for `delayMs` (or until the
 * client goes away): a partner that applied a write whose sender may die before hearing of it.
 */
export type Fault =
  | { status: number; retryAfterSeconds?: number; outcome?: R4.OperationOutcome; intermediary?: boolean }
  | { dropConnection: true }
  | { delayMs: number };

/** BaRS error code for an injected status when the fault names no outcome of its own. */
const faultCode = (status: number): string =>
  status === 429 ? 'SEND_TOO_MANY_REQUESTS' : status >= 500 ? 'SERVICE_UNAVAILABLE' : 'REC_BAD_REQUEST';

export interface PartnerServer {
  readonly name: string;
  /** FHIR base URL, e.g. `http://127.0.0.1:8101/fhir`. */
  readonly url: string;
  read<T extends R4.Resource>(resourceType: T['resourceType'], id: string): Promise<T | undefined>;
  readAll<T extends R4.Resource>(resourceType: T['resourceType']): T[];
  /** Search as over HTTP, e.g. `search('CarePlan', { identifier: 'sys|val' })`; all pages. */
  search<T extends R4.Resource>(
    resourceType: T['resourceType'],
    params?: Record<string, string>,
  ): Promise<T[]>;
  /** Every version, newest first. */
  history<T extends R4.Resource>(resourceType: T['resourceType'], id: string): Promise<T[]>;
  processedMessages(): ProcessedMessage[];
  requestLog(): RequestLogEntry[];
  injectFaults(...faults: Fault[]): void;
  /** Drops the faults not yet taken. */
  clearFaults(): void;
  /** Forget all resources, messages, log entries and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Waits `ms`, or less if the client disconnects (a killed sender) or the server closes. */
function holdAnswer(res: http.ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startPartnerServer(options: PartnerServerOptions): Promise<PartnerServer> {
  loadFhirDefinitions();
  const basePath = (options.basePath ?? '/fhir').replace(/\/$/, '');
  const pageSize = options.pageSize ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const repo = new SandboxRepository();
  const router = new FhirRouter();
  const serializer = new Serializer();
  const log: RequestLogEntry[] = [];
  const faults: Fault[] = [];
  let baseUrl = '';
  let receiver: MessageReceiver | undefined;

  async function dispatch(
    method: string,
    rel: string,
    query: URLSearchParams,
    body: unknown,
    headers: http.IncomingHttpHeaders,
    fault: Exclude<Fault, { delayMs: number }> | undefined,
  ): Promise<Reply> {
    const segments = rel.split('/').filter(Boolean);
    const [first = '', second] = segments;
    if (fault) {
      if ('dropConnection' in fault) return { status: 0, destroy: true };
      const retry =
        fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : undefined;
      const text = `Injected fault ${fault.status}`;
      // A gateway or proxy in front of the partner: a status of its own, neither FHIR nor the ids.
      if (fault.intermediary) return { status: fault.status, intermediary: true };
      return {
        status: fault.status,
        body:
          (fault.outcome as Resource | undefined) ?? barsOutcome(faultCode(fault.status), 'processing', text),
        ...(retry ? { headers: retry } : {}),
      };
    }
    if (!METHODS.has(method)) return { status: 405, body: badRequest('Method not supported') };
    if (method === 'GET' && rel === '/metadata')
      return { status: 200, body: capabilityStatement(options.name, baseUrl) };
    if (method === 'POST' && rel === '/$process-message') {
      const result = await receiver!.process(body, headers);
      return { status: result.status, body: result.body };
    }
    const resource = body as Resource | undefined;
    if (
      method === 'POST' &&
      segments.length === 0 &&
      (resource as Bundle | undefined)?.type === 'transaction'
    ) {
      const result = await runTransaction(repo, router, resource as Bundle);
      return result.ok
        ? { status: 200, body: result.bundle }
        : { status: result.status, body: result.outcome };
    }
    if (method === 'POST' && first === 'Bundle' && segments.length === 1) {
      const doc = resource as Bundle | undefined;
      if (doc?.type === 'document' && doc.entry?.[0]?.resource?.resourceType !== 'Composition') {
        return {
          status: 400,
          body: badRequest('A document Bundle starts with a Composition', 'Bundle.entry[0]'),
        };
      }
    }
    if (method === 'PUT' && segments.length === 1 && query.size > 0) {
      const ifMatch = typeof headers['if-match'] === 'string' ? headers['if-match'] : undefined;
      const [outcome, saved] = await conditionalPut(
        repo,
        first,
        query.toString(),
        resource as Resource,
        ifMatch,
      );
      return { status: getStatus(outcome), body: saved };
    }
    // FHIR http.html#create: the server ignores an id in a created resource and assigns its own.
    if (method === 'POST' && segments.length === 1 && resource && typeof resource === 'object') {
      delete (resource as { id?: string }).id;
    }
    const upsert = method === 'PUT' && segments.length === 2 && !repo.exists(first, second ?? '');
    const isSearch = method === 'GET' && segments.length === 1;
    const routedQuery = isSearch ? withDefaultCount(query, pageSize) : query;
    const request: FhirRequest = {
      method: method as HttpMethod,
      url: routedQuery.size > 0 ? `${rel}?${routedQuery.toString()}` : rel,
      pathname: '',
      body,
      params: {},
      query: {},
      headers,
    };
    const [outcome, result] = await router.handleRequest(request, repo);
    let status = getStatus(outcome);
    if (upsert && status === 200) status = 201;
    if (isSearch && result?.resourceType === 'Bundle' && result.type === 'searchset') {
      decorateSearchset(result, baseUrl, first, routedQuery);
    }
    return { status, body: status >= 400 || !result ? outcome : result };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const send = (reply: Reply): void => {
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const minimal = /return=minimal/.test(String(req.headers.prefer ?? '')) && reply.status < 400;
      // Like a BaRS receiver, every answer echoes X-Request-Id and X-Correlation-Id (not an intermediary's).
      const echo = Object.fromEntries(
        ['x-request-id', 'x-correlation-id'].flatMap((h) =>
          typeof req.headers[h] === 'string' && !reply.intermediary ? [[h, req.headers[h]]] : [],
        ),
      );
      const headers = {
        ...echo,
        ...(reply.body ? resourceHeaders(reply.body, reply.status, baseUrl) : {}),
        ...reply.headers,
      };
      const text = minimal ? '' : jsonBody(reply.body);
      res.writeHead(reply.status, { ...headers, ...(text ? { 'content-type': FHIR_JSON } : {}) });
      res.end(text);
    };
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      send({ status: 404, body: badRequest('Not a FHIR endpoint of this server') });
      return;
    }
    const rel = url.pathname.slice(basePath.length) || '/';
    const entry: RequestLogEntry = {
      at: new Date().toISOString(),
      method,
      path: `${rel}${url.search}`,
      status: 0,
      headers: req.headers,
    };
    log.push(entry);
    let reply: Reply;
    let holdMs = 0;
    try {
      const raw = await readBody(req, maxBodyBytes);
      const parsed = parseJson(raw, String(req.headers['content-type'] ?? ''));
      if ('error' in parsed) {
        reply = parsed.error;
      } else {
        if (parsed.value !== undefined) entry.body = structuredClone(parsed.value);
        reply = await serializer.run(() => {
          // Faults are taken in request order; a delay's hold happens outside the serializer.
          const fault = rel !== '/metadata' ? faults.shift() : undefined;
          if (fault && 'delayMs' in fault) holdMs = fault.delayMs;
          const canned = fault && !('delayMs' in fault) ? fault : undefined;
          return dispatch(method, rel, url.searchParams, parsed.value, req.headers, canned);
        });
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        reply = { status: 413, body: badRequest('Request body too large') };
      } else {
        const outcome = normalizeOperationOutcome(err);
        reply = { status: getStatus(outcome) >= 400 ? getStatus(outcome) : 500, body: outcome };
      }
    }
    entry.status = reply.status;
    if (holdMs > 0) await holdAnswer(res, holdMs);
    send(reply);
  }

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}${basePath}`;
  receiver = new MessageReceiver(repo, router, baseUrl, {
    requireRequestId: options.requireRequestId ?? true,
  });

  const asR4 = <T>(value: unknown): T => value as T;
  return {
    name: options.name,
    url: baseUrl,
    read: async (type, id) => (repo.exists(type, id) ? asR4(await repo.readResource(type, id)) : undefined),
    readAll: (type) => asR4(repo.readAll(type as Resource['resourceType'])),
    search: async (type, params = {}) =>
      // No _count: every match, not one page.
      asR4(await repo.searchResources(parseSearchRequest(type as Resource['resourceType'], params))),
    history: async (type, id) => asR4((await repo.readHistory(type, id)).entry?.map((e) => e.resource) ?? []),
    processedMessages: () => [...receiver!.processed],
    requestLog: () => [...log],
    injectFaults: (...more) => {
      faults.push(...more);
    },
    clearFaults: () => {
      faults.length = 0;
    },
    reset: () => {
      repo.clear();
      receiver!.reset();
      log.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
