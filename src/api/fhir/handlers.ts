// The FHIR API's handlers, one per route of the table in ./routes.ts: each parses, calls one use case
// of the service and translates its result (express stays here, the decisions in src/service).
import type { Request, RequestHandler, Response } from 'express';
import type { Bundle } from 'fhir/r4.js';
import { packageVersion } from '../../config/package-info.js';
import { notFound } from '../../errors/index.js';
import type { InboundKind } from '../../intake/index.js';
import type { ReadableType } from '../../service/partner-reads.js';
import { callerOf } from '../auth.js';
import { FHIR_JSON } from '../errors.js';
import { preferReturn, setVersionHeaders } from './conventions.js';
import {
  type Created,
  createdRepresentation,
  createdServiceRequest,
  createOutcome,
  transactionResponse,
} from './created.js';
import { readBarsHeaders, requireBarsIds } from './headers.js';
import { barsResponseMessage, capabilityStatement, historyBundle, searchset } from './responses.js';
import type { FhirDeps } from './types.js';

/** What every handler is built with. */
export interface FhirContext {
  deps: FhirDeps;
  nb: FhirDeps['navbridge'];
  /** The FHIR base URL without a trailing slash. */
  base: string;
}
export type FhirHandler = (ctx: FhirContext) => RequestHandler;

const send = (res: Response, status: number, body: unknown) =>
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));

const profileQuery = (req: Request): { profile?: string } =>
  typeof req.query.profile === 'string' ? { profile: req.query.profile } : {};

export const metadata: FhirHandler =
  ({ base, deps }) =>
  (_req, res) => {
    send(res, 200, capabilityStatement(base, deps.now(), packageVersion()));
  };

export const messageDefinitions: FhirHandler =
  ({ nb, base }) =>
  (_req, res) => {
    send(res, 200, searchset(nb.messageDefinitions(), base, `${base}/MessageDefinition`));
  };

export const messageDefinition: FhirHandler =
  ({ nb }) =>
  (req, res) => {
    send(res, 200, nb.readMessageDefinition(String(req.params.id)));
  };

export const intake =
  (kind: InboundKind) =>
  ({ nb, base, deps }: FhirContext): RequestHandler =>
  async (req, res) => {
    if (kind === 'message') requireBarsIds(req);
    // $process-message is an operation whose answer BaRS fixes: Prefer is not read there.
    const prefer = kind === 'message' ? undefined : preferReturn(req);
    const headers = readBarsHeaders(req);
    const out = await nb.receiveReferral(callerOf(res), {
      kind,
      body: req.body,
      ...(headers.requestId ? { requestId: headers.requestId } : {}),
      ...(headers.correlationId ? { correlationId: headers.correlationId } : {}),
    });
    // FHIR http.html#create: Location names the version created, the one a read answers in meta.versionId.
    const vid = out.serviceRequestVersion;
    const location = out.serviceRequestId
      ? `${base}/ServiceRequest/${out.serviceRequestId}${vid !== undefined ? `/_history/${vid}` : ''}`
      : undefined;
    if (location) res.set('Location', location);
    if (kind === 'message') {
      // An operation, not a create: BaRS fixes its answer (the response message), whatever Prefer says.
      send(
        res,
        200,
        barsResponseMessage({
          requestMessageId: out.messageId ?? '',
          baseUrl: base,
          now: deps.now(),
          ...(out.serviceRequestId ? { serviceRequestId: out.serviceRequestId } : {}),
          issues: out.warnings,
        }),
      );
      return;
    }
    const created: Created = {
      location: location ?? '',
      ...(vid !== undefined ? { versionId: vid } : {}),
      lastModified: deps.now(),
      resource: () => createdServiceRequest(req.body, out.serviceRequestId),
      outcome: () => createOutcome(out.action, out.warnings),
    };
    if (kind === 'transaction') {
      send(res, 201, transactionResponse(req.body as Bundle, created, prefer));
      return;
    }
    if (vid !== undefined) res.set('ETag', `W/"${vid}"`);
    if (prefer === 'minimal') res.status(201).end();
    else if (prefer === 'representation') send(res, 201, createdRepresentation(created));
    else send(res, 201, created.outcome());
  };

export const searchServiceRequests: FhirHandler =
  ({ nb, base }) =>
  async (req, res) => {
    const found = await nb.searchPartnerServiceRequests(callerOf(res), req.query['patient:identifier']);
    // The self link leaves the identifier's value out: input is never echoed.
    send(res, 200, searchset(found, base, `${base}/ServiceRequest`));
  };

export const searchTasks: FhirHandler =
  ({ nb, base }) =>
  async (req, res) => {
    const { tasks, focusId } = await nb.searchPartnerTasks(callerOf(res), req.query.focus);
    send(res, 200, searchset(tasks, base, `${base}/Task?focus=ServiceRequest/${focusId}`));
  };

export const validate: FhirHandler =
  ({ nb }) =>
  (req, res) => {
    send(res, 200, nb.validateResource(callerOf(res), { body: req.body, ...profileQuery(req) }));
  };

export const validateType: FhirHandler =
  ({ nb }) =>
  (req, res) => {
    const type = String(req.params.type);
    if (!/^[A-Z][A-Za-z]{1,63}$/.test(type)) throw notFound();
    send(res, 200, nb.validateResource(callerOf(res), { type, body: req.body, ...profileQuery(req) }));
  };

export const read =
  (type: ReadableType): FhirHandler =>
  ({ nb }) =>
  async (req, res) => {
    const resource = await nb.readPartnerResource(callerOf(res), type, String(req.params.id));
    setVersionHeaders(res, resource);
    send(res, 200, resource);
  };

export const history =
  (type: ReadableType): FhirHandler =>
  ({ nb, base }) =>
  async (req, res) => {
    const id = String(req.params.id);
    const versions = await nb.historyPartnerResource(callerOf(res), type, id);
    send(res, 200, historyBundle(versions, base, `${base}/${type}/${id}/_history`));
  };

export const vread =
  (type: ReadableType): FhirHandler =>
  ({ nb }) =>
  async (req, res) => {
    const id = String(req.params.id);
    const resource = await nb.vreadPartnerResource(callerOf(res), type, id, String(req.params.vid));
    setVersionHeaders(res, resource);
    send(res, 200, resource);
  };
