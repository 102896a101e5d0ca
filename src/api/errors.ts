// The one express error handler: anything thrown becomes an OperationOutcome; the HTTP status comes
// from the error code. Parser messages are never passed through (Node's JSON errors quote the input),
// and a 404 never echoes the path asked for.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  badRequest,
  isNavbridgeError,
  type NavbridgeError,
  notFound,
  serverError,
  tooLarge,
} from '../errors/index.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
/** How long a caller should wait before trying again after a 503 (seconds). */
export const RETRY_AFTER_S = 5;

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(notFound('route'));
};

/** What a thrown value means to the caller: the body parser's failures have a type, not a code. */
export function asNavbridgeError(err: unknown): NavbridgeError | undefined {
  if (isNavbridgeError(err)) return err;
  const e = err as { type?: string };
  if (e?.type === 'entity.parse.failed')
    return badRequest('the body is not valid JSON', { code: 'structure' });
  if (e?.type === 'entity.too.large') return tooLarge('the body is too large');
  // The router could not decode a path parameter (its message quotes the parameter: not passed on).
  if (err instanceof URIError)
    return badRequest('the request path is not valid percent-encoding', { code: 'structure' });
  return undefined;
}

export function errorHandler(
  onUnexpected: (err: unknown, req: Parameters<ErrorRequestHandler>[1]) => void,
): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let known = asNavbridgeError(err);
    if (!known) {
      onUnexpected(err, req);
      known = serverError();
    }
    // For the access log: the stable code, and what the caller is not told (which check refused it).
    res.locals.errorCode = known.code;
    if (known.logDetail) res.locals.refusal = known.logDetail;
    if (known.status === 503) res.set('Retry-After', String(RETRY_AFTER_S));
    res.status(known.status).type(FHIR_JSON).send(JSON.stringify(known.outcome));
  };
}
