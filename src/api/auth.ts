// Express side of authentication: reads the credentials (X-API-Key, Authorization: Bearer), asks the
// service who is calling and keeps the answer in res.locals.caller; a 401 carries WWW-Authenticate.
import type { RequestHandler, Response } from 'express';
import { forbidden, isNavbridgeError } from '../errors/index.js';
import type { Authenticate } from '../service/authenticate.js';
import type { Caller, CallerKind } from '../service/types.js';

const REALM = 'Bearer realm="navbridge"';

export const callerOf = (res: Response): Caller => {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw forbidden('this endpoint needs an authenticated caller');
  return caller;
};

/** Express middleware: identifies the caller or answers 401 with an OperationOutcome. */
export function authenticate(auth: Authenticate): RequestHandler {
  return (req, res, next) => {
    const apiKey = req.get('x-api-key');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    auth({ ...(apiKey !== undefined ? { apiKey } : {}), ...(bearer !== undefined ? { bearer } : {}) }).then(
      (caller) => {
        res.locals.caller = caller;
        next();
      },
      (err: unknown) => {
        if (isNavbridgeError(err) && err.code === 'REC_UNAUTHORIZED') {
          const invalid = err.outcome.issue.some((i) => i.code === 'security');
          res.set('WWW-Authenticate', invalid ? `${REALM}, error="invalid_token"` : REALM);
        }
        next(err);
      },
    );
  };
}

/** 403 for callers of any other kind (after authenticate). */
export function requireKind(...kinds: CallerKind[]): RequestHandler {
  return (_req, res, next) => {
    const c = res.locals.caller as Caller | undefined;
    if (c && kinds.includes(c.kind)) return next();
    next(forbidden(`this endpoint is not available to ${c?.kind ?? 'anonymous'} callers`));
  };
}
