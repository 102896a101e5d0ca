// fhirRouter(deps): the inbound FHIR API under /fhir — referrals in (ServiceRequest, transaction,
// BaRS $process-message) and partners following their own referrals (Task, ServiceRequest reads).
// GET /metadata is open; everything else needs a partner caller. Each route calls one use case.
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Caller } from '../../service/types.js';
import { jsonBody } from '../body.js';
import { asNavbridgeError } from '../errors.js';
import { expressPath } from '../route-table.js';
import { answerUnsupported, requireJsonFormat } from './conventions.js';
import type { FhirContext } from './handlers.js';
import { acceptBarsVersion, echoBarsIds } from './headers.js';
import { FHIR_ROUTES } from './routes.js';
import type { FhirDeps } from './types.js';

const CONTENT_TYPES = ['application/fhir+json', 'application/json'];

export function fhirRouter(deps: FhirDeps): Router {
  const r = Router();
  const nb = deps.navbridge;
  const json = jsonBody(CONTENT_TYPES, deps.limits);
  const ctx: FhirContext = { deps, nb, base: deps.publicBaseUrl.replace(/\/$/, '') };

  r.use(echoBarsIds);
  r.use(acceptBarsVersion);
  r.use(requireJsonFormat);
  // The route table (./routes.ts) is what is served and what OpenAPI describes: open routes first.
  const register = (open: boolean) => {
    for (const route of FHIR_ROUTES.filter((x) => !!x.open === open))
      r[route.method](expressPath(route.path), ...(route.body ? [json] : []), route.handler(ctx));
  };
  register(true);
  r.use(deps.authenticate);
  register(false);

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
