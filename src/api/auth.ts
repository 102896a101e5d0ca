// Express side of authentication: reads the credentials (X-API-Key, Authorization: Bearer), asks the
// service who is calling and keeps the answer in res.locals.caller; a 401 carries WWW-Authenticate.
import type { TLSSocket } from 'node:tls';
import type { Request, RequestHandler, Response } from 'express';
import { forbidden, isNavbridgeError } from '../errors/index.js';
import type { Authenticate } from '../service/authenticate.js';
import type { Caller, CallerKind } from '../service/types.js';

const REALM = 'Bearer realm="navbridge"';

export const callerOf = (res: Response): Caller => {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw forbidden('this endpoint needs an authenticated caller');
  return caller;
};

/**
 * The connection's verified client certificate, as a SHA-256 hex fingerprint: from the TLS socket when
 * navbridge terminates TLS, else from the header a verifying TLS proxy sets (when one is configured).
 */
export function clientCertificateOf(req: Request, header: string | undefined): string | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.encrypted) {
    if (!socket.authorized) return undefined;
    const fp = socket.getPeerCertificate()?.fingerprint256;
    return fp ? fp.replace(/:/g, '').toLowerCase() : undefined;
  }
  const v = header ? req.get(header) : undefined;
  const hex = v?.replace(/:/g, '').trim().toLowerCase();
  return hex && /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** Express middleware: identifies the caller or answers 401 with an OperationOutcome. */
export function authenticate(auth: Authenticate, opts: { certificateHeader?: string } = {}): RequestHandler {
  return (req, res, next) => {
    const apiKey = req.get('x-api-key');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    const clientCertificate = clientCertificateOf(req, opts.certificateHeader);
    // The client's address as express sees it (after `trust proxy`), for the audit trail.
    const address = req.ip ?? req.socket.remoteAddress;
    auth({
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(bearer !== undefined ? { bearer } : {}),
      ...(clientCertificate ? { clientCertificate } : {}),
      ...(address ? { address } : {}),
    }).then(
      (caller) => {
        res.locals.caller = address ? { ...caller, address } : caller;
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

/** 403 for callers of any other kind (after authenticate); `onDenied` is told (the audit trail). */
export function requireKind(
  kinds: readonly CallerKind[],
  onDenied?: (caller: Caller | undefined, req: Request) => void,
): RequestHandler {
  return (req, res, next) => {
    const c = res.locals.caller as Caller | undefined;
    if (c && kinds.includes(c.kind)) return next();
    onDenied?.(c, req);
    next(forbidden(`this endpoint is not available to ${c?.kind ?? 'anonymous'} callers`));
  };
}
