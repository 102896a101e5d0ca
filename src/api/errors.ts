// The one express error handler: anything thrown becomes an OperationOutcome; the HTTP status comes
// from the error code. Parser messages are never passed through (Node's JSON errors quote the input).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isNavbridgeError, issue, NavbridgeError, outcome } from '../errors/index.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(
    new NavbridgeError('REC_NOT_FOUND', [
      issue({
        code: 'not-found',
        diagnostics: `no route for ${req.method} ${req.path}`,
        errorCode: 'REC_NOT_FOUND',
      }),
    ]),
  );
};

export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let status: number;
    let body: ReturnType<typeof outcome>;
    const e = err as { type?: string; status?: number };
    if (isNavbridgeError(err)) {
      status = err.status;
      body = err.outcome;
    } else if (e.type === 'entity.parse.failed') {
      status = 400;
      body = outcome([
        issue({ code: 'structure', diagnostics: 'the body is not valid JSON', errorCode: 'REC_BAD_REQUEST' }),
      ]);
    } else if (e.type === 'entity.too.large') {
      status = 413;
      body = outcome([
        issue({ code: 'too-long', diagnostics: 'the body is too large', errorCode: 'REC_TOO_LARGE' }),
      ]);
    } else {
      onUnexpected(err);
      status = 500;
      body = outcome([
        issue({
          code: 'exception',
          diagnostics: 'internal error',
          errorCode: 'REC_SERVER_ERROR',
          severity: 'fatal',
        }),
      ]);
    }
    res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
  };
}
