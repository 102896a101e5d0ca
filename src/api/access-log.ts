// The access log (pino-http): one line per answered request with the method, the route template (never
// the path as asked, which holds ids, nor the query, which holds values), the status, the duration,
// the caller's id, the request and correlation ids, the stable error code of a refusal and, for a
// refused credential, which check failed (log only: the caller is told nothing more). No header, body,
// query value or patient data is ever logged.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Metrics } from '../metrics/index.js';
import { actorOf, type Caller } from '../service/types.js';

/** A caller-supplied id is logged only when it looks like an id (no log injection, no data). */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const safeId = (v: string | string[] | undefined): string | undefined =>
  typeof v === 'string' && SAFE_ID.test(v) ? v : undefined;

/** What the access log says of a caller: as the audit log names it, never a credential. */
export const callerId = (c: Caller | undefined): string | undefined => (c ? actorOf(c) : undefined);

/** Marks where a router is mounted, so the log names `/api/v1/referrals/:id` even after an error. */
export const mountPoint: RequestHandler = (req, res, next) => {
  res.locals.mount = req.baseUrl;
  next();
};

/** The route template that answered: the mount and the matched route, else the mount and `*`. */
export function routeOf(req: Request, res: Response): string {
  const mount = (res.locals.mount as string | undefined) ?? '';
  const route = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof route === 'string') return `${mount}${route === '/' && mount ? '' : route}`;
  return mount ? `${mount}/*` : '(unmatched)';
}

export function accessLog(logger: Logger, metrics?: Metrics): RequestHandler {
  const fields = (req: IncomingMessage, res: ServerResponse, ms: unknown) => {
    const r = req as Request;
    const s = res as Response;
    const locals = s.locals ?? {};
    const caller = callerId(locals.caller as Caller | undefined);
    const correlationId = safeId(r.headers['x-correlation-id']);
    return {
      event: 'request',
      requestId: String(r.id),
      method: r.method,
      route: routeOf(r, s),
      status: s.statusCode,
      ms,
      ...(caller ? { caller } : {}),
      ...(correlationId ? { correlationId } : {}),
      ...(locals.errorCode ? { errorCode: locals.errorCode as string } : {}),
      ...(locals.refusal ? { refusal: locals.refusal as string } : {}),
    };
  };
  const message = (req: IncomingMessage, res: ServerResponse) =>
    `${req.method} ${routeOf(req as Request, res as Response)} ${res.statusCode}`;
  const middleware = pinoHttp({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req) => safeId(req.headers['x-request-id']) ?? randomUUID(),
    customLogLevel: (_req, res, err) => {
      if (err || (res.statusCode >= 500 && res.statusCode !== 503)) return 'error';
      if (res.statusCode === 503 || [401, 403, 429].includes(res.statusCode)) return 'warn';
      return 'info';
    },
    customSuccessObject: (req, res, val: { responseTime?: unknown }) => fields(req, res, val.responseTime),
    customErrorObject: (req, res, _err, val: { responseTime?: unknown }) =>
      fields(req, res, val.responseTime),
    customSuccessMessage: message,
    customErrorMessage: message,
  });
  if (!metrics) return middleware as unknown as RequestHandler;
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = routeOf(req, res);
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route, method: req.method }, (performance.now() - started) / 1000);
    });
    (middleware as unknown as RequestHandler)(req, res, next);
  };
}
