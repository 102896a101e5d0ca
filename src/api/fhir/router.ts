// fhirRouter(deps): the inbound FHIR API under /fhir — referrals in (ServiceRequest, transaction,
// BaRS $process-message) and partners following their own referrals (Task, ServiceRequest reads).
// GET /metadata is open; everything else needs a partner caller. Each route calls one use case.
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Bundle } from 'fhir/r4.js';
import { packageVersion } from '../../config/package-info.js';
import { notFound } from '../../errors/index.js';
import type { InboundKind } from '../../intake/index.js';
import type { Caller } from '../../service/types.js';
import { callerOf } from '../auth.js';
import { jsonBody } from '../body.js';
import { asNavbridgeError, FHIR_JSON } from '../errors.js';
import { answerUnsupported, preferReturn, requireJsonFormat, setVersionHeaders } from './conventions.js';
import {
  type Created,
  createdRepresentation,
  createdServiceRequest,
  createOutcome,
  transactionResponse,
} from './created.js';
import { acceptBarsVersion, echoBarsIds, readBarsHeaders, requireBarsIds } from './headers.js';
import { barsResponseMessage, capabilityStatement, historyBundle, searchset } from './responses.js';
import type { FhirDeps } from './types.js';

const CONTENT_TYPES = ['application/fhir+json', 'application/json'];

const send = (res: Response, status: number, body: unknown) =>
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));

const profileQuery = (req: Request): { profile?: string } =>
  typeof req.query.profile === 'string' ? { profile: req.query.profile } : {};

export function fhirRouter(deps: FhirDeps): Router {
  const r = Router();
  const nb = deps.navbridge;
  const json = jsonBody(CONTENT_TYPES, deps.limits);
  const base = deps.publicBaseUrl.replace(/\/$/, '');

  r.use(echoBarsIds);
  r.use(acceptBarsVersion);
  r.use(requireJsonFormat);
  r.get('/metadata', (_req, res) => {
    send(res, 200, capabilityStatement(base, deps.now(), packageVersion()));
  });
  // BaRS content negotiation: open like /metadata (what a sender must send, no patient data).
  r.get('/MessageDefinition', (_req, res) => {
    send(res, 200, searchset(nb.messageDefinitions(), base, `${base}/MessageDefinition`));
  });
  r.get('/MessageDefinition/:id', (req, res) => {
    send(res, 200, nb.readMessageDefinition(String(req.params.id)));
  });
  r.use(deps.authenticate);

  const intake = (kind: InboundKind) => async (req: Request, res: Response) => {
    if (kind === 'message') requireBarsIds(req);
    const prefer = preferReturn(req);
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

  r.post('/ServiceRequest', json, intake('service-request'));
  r.post('/', json, intake('transaction'));
  r.post('/\\$process-message', json, intake('message'));

  r.get('/ServiceRequest', async (req, res) => {
    const param = req.query['patient:identifier'];
    const found = await nb.searchPartnerServiceRequests(callerOf(res), param);
    // The self link leaves the identifier's value out: input is never echoed.
    send(res, 200, searchset(found, base, `${base}/ServiceRequest`));
  });

  r.post('/\\$validate', json, (req, res) => {
    send(res, 200, nb.validateResource(callerOf(res), { body: req.body, ...profileQuery(req) }));
  });
  r.post('/:type/\\$validate', json, (req, res) => {
    const type = String(req.params.type);
    if (!/^[A-Z][A-Za-z]{1,63}$/.test(type)) throw notFound();
    send(res, 200, nb.validateResource(callerOf(res), { type, body: req.body, ...profileQuery(req) }));
  });

  for (const type of ['ServiceRequest', 'Task'] as const) {
    r.get(`/${type}/:id`, async (req, res) => {
      const resource = await nb.readPartnerResource(callerOf(res), type, String(req.params.id));
      setVersionHeaders(res, resource);
      send(res, 200, resource);
    });
    r.get(`/${type}/:id/_history`, async (req, res) => {
      const id = String(req.params.id);
      const versions = await nb.historyPartnerResource(callerOf(res), type, id);
      send(res, 200, historyBundle(versions, base, `${base}/${type}/${id}/_history`));
    });
    r.get(`/${type}/:id/_history/:vid`, async (req, res) => {
      const resource = await nb.vreadPartnerResource(
        callerOf(res),
        type,
        String(req.params.id),
        String(req.params.vid),
      );
      setVersionHeaders(res, resource);
      send(res, 200, resource);
    });
  }

  r.get('/Task', async (req, res) => {
    const { tasks, focusId } = await nb.searchPartnerTasks(callerOf(res), req.query.focus);
    send(res, 200, searchset(tasks, base, `${base}/Task?focus=ServiceRequest/${focusId}`));
  });

  r.use(answerUnsupported);

  // Refused requests leave an audit row (no patient data) and go on to the error handler.
  r.use(async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const caller = res.locals.caller as Caller | undefined;
    if (req.method === 'POST' && caller) {
      const requestId = req.get('x-request-id');
      await nb.auditRefusal(caller, {
        route: req.path,
        code: asNavbridgeError(err)?.code ?? 'REC_SERVER_ERROR',
        ...(requestId ? { requestId } : {}),
      });
    }
    next(err);
  });
  return r;
}
