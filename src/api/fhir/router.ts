// fhirRouter(deps): the inbound FHIR API under /fhir — referrals in (ServiceRequest, transaction,
// BaRS $process-message) and partners following their own referrals (Task, ServiceRequest reads).
// GET /metadata is open; everything else needs a partner principal (res.locals.principal).
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { Bundle, Resource } from 'fhir/r4.js';
import type { PartnerConfig } from '../../settings/app-config.js';
import { resourceId } from '../../fhir/ids.js';
import { isNavbridgeError, issue, NavbridgeError } from '../../errors/index.js';
import type { InboundKind } from '../../intake/index.js';
import { auditInbound, claimRequestId, latestResource, releaseRequestId } from '../../store/inbound.js';
import type { Principal } from '../auth.js';
import { FHIR_JSON } from '../errors.js';
import { readBarsHeaders } from './headers.js';
import { handleIntake } from './intake.js';
import { barsResponseMessage, capabilityStatement, searchset, transactionResponse } from './responses.js';
import type { FhirDeps } from './types.js';

const CONTENT_TYPES = ['application/fhir+json', 'application/json'];

const notFound = () =>
  new NavbridgeError('REC_NOT_FOUND', [
    issue({ code: 'not-found', diagnostics: 'no such resource', errorCode: 'REC_NOT_FOUND' }),
  ]);

const send = (res: Response, status: number, body: unknown) =>
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));

function partnerOf(deps: FhirDeps, res: Response): PartnerConfig {
  const p = res.locals.principal as Principal | undefined;
  const partner = p?.kind === 'partner' ? deps.partners.find((x) => x.id === p.partnerId) : undefined;
  if (!partner) {
    throw new NavbridgeError('REC_FORBIDDEN', [
      issue({
        code: 'forbidden',
        diagnostics: 'the FHIR API is for referring partners',
        errorCode: 'REC_FORBIDDEN',
      }),
    ]);
  }
  return partner;
}

/** express 5 leaves the body undefined for other content types and still runs the handler: refuse first. */
function requireFhirJson(req: Request, _res: Response, next: NextFunction): void {
  if (req.is(CONTENT_TYPES)) {
    next();
    return;
  }
  next(
    new NavbridgeError('REC_UNSUPPORTED_MEDIA_TYPE', [
      issue({
        code: 'not-supported',
        diagnostics: 'the body must be application/fhir+json',
        errorCode: 'REC_UNSUPPORTED_MEDIA_TYPE',
      }),
    ]),
  );
}

const SR_REF = /^(?:.*\/)?ServiceRequest\/([A-Za-z0-9.-]{1,64})$/;

export function fhirRouter(deps: FhirDeps): Router {
  const r = Router();
  const json = express.json({ type: CONTENT_TYPES, limit: deps.bodyLimit ?? '1mb' });
  const base = deps.publicBaseUrl.replace(/\/$/, '');

  r.get('/metadata', (_req, res) => {
    send(res, 200, capabilityStatement(base, deps.now()));
  });
  if (deps.authenticate) r.use(deps.authenticate);

  const intake = (kind: InboundKind) => async (req: Request, res: Response) => {
    const partner = partnerOf(deps, res);
    const headers = readBarsHeaders(req);
    if (headers.correlationId) res.set('X-Correlation-Id', headers.correlationId);
    if (headers.requestId) res.set('X-Request-Id', headers.requestId);
    if (
      headers.requestId &&
      !(await claimRequestId(deps.db, partner.id, headers.requestId, headers.correlationId))
    ) {
      throw new NavbridgeError('REC_CONFLICT', [
        issue({
          code: 'duplicate',
          diagnostics: 'the message has been identified as having already been processed.',
          errorCode: 'REC_CONFLICT',
        }),
      ]);
    }
    try {
      const out = await handleIntake(deps, partner, kind, req.body, headers);
      const location = out.serviceRequestId ? `${base}/ServiceRequest/${out.serviceRequestId}` : undefined;
      if (location) res.set('Location', location);
      if (kind === 'message') {
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
      } else if (kind === 'transaction') {
        send(res, 201, transactionResponse(req.body as Bundle, location ?? '', out.warnings));
      } else {
        send(res, 201, {
          resourceType: 'OperationOutcome',
          issue: [
            issue({
              severity: 'information',
              code: 'informational',
              diagnostics: `referral ${out.action ?? 'received'}`,
            }),
            ...out.warnings,
          ],
        });
      }
    } catch (err) {
      // A failed request may be corrected and resent under the same X-Request-Id.
      if (headers.requestId) await releaseRequestId(deps.db, partner.id, headers.requestId);
      throw err;
    }
  };

  r.post('/ServiceRequest', requireFhirJson, json, intake('service-request'));
  r.post('/', requireFhirJson, json, intake('transaction'));
  r.post('/\\$process-message', requireFhirJson, json, intake('message'));

  r.get('/ServiceRequest/:id', async (req, res) => {
    const partner = partnerOf(deps, res);
    const found = await latestResource(deps.db, partner.id, 'ServiceRequest', String(req.params.id));
    if (!found) throw notFound();
    send(res, 200, found.resource);
  });

  r.get('/Task/:id', async (req, res) => {
    const partner = partnerOf(deps, res);
    const found = await latestResource(deps.db, partner.id, 'Task', String(req.params.id));
    if (!found) throw notFound();
    send(res, 200, found.resource);
  });

  r.get('/Task', async (req, res) => {
    const partner = partnerOf(deps, res);
    const focus = typeof req.query.focus === 'string' ? SR_REF.exec(req.query.focus) : null;
    if (!focus) {
      throw new NavbridgeError('REC_BAD_REQUEST', [
        issue({
          code: 'required',
          diagnostics: 'focus: search Tasks by focus=ServiceRequest/<id>',
          expression: 'focus',
          errorCode: 'REC_BAD_REQUEST',
        }),
      ]);
    }
    const sr = await latestResource(deps.db, partner.id, 'ServiceRequest', focus[1]!);
    const task = sr
      ? await latestResource(deps.db, partner.id, 'Task', resourceId(sr.site, 'Task', sr.referralId))
      : undefined;
    const found = task ? [task.resource as unknown as Resource] : [];
    send(res, 200, searchset(found, base, `${base}/Task?focus=ServiceRequest/${focus[1]}`));
  });

  // Structural and business failures leave an audit row (no patient data) and go on to the error handler.
  r.use(async (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const p = res.locals.principal as Principal | undefined;
    if (req.method === 'POST' && p) {
      const e = err as { type?: string; status?: number };
      const code = isNavbridgeError(err)
        ? err.code
        : e.type === 'entity.too.large'
          ? 'REC_TOO_LARGE'
          : e.type === 'entity.parse.failed'
            ? 'REC_BAD_REQUEST'
            : 'REC_SERVER_ERROR';
      await auditInbound(
        deps.db,
        p.kind === 'partner' ? `partner:${p.partnerId}` : p.kind,
        'inbound-refused',
        {
          route: req.path,
          code,
          ...(req.get('x-request-id') ? { requestId: req.get('x-request-id') } : {}),
        },
      ).catch(() => {});
    }
    next(err);
  });
  return r;
}
