// Admin credential: a bearer token compared in constant time against the configured secret's hash.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { issue, NavbridgeError } from '../fhir/outcome.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface AdminPrincipal {
  kind: 'admin';
  /** Stable, non-secret actor name for the audit log. */
  actor: string;
}

/** Only the hash of the admin token is kept in memory after start-up. */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? sha256(adminToken) : undefined;
  const actor = adminToken ? `admin:${sha256(adminToken).toString('hex').slice(0, 8)}` : 'admin';
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) {
      next(
        new NavbridgeError('REC_UNAUTHORIZED', [
          issue({
            code: 'login',
            diagnostics: 'an admin bearer token is required',
            errorCode: 'REC_UNAUTHORIZED',
          }),
        ]),
      );
      return;
    }
    if (!expected || !timingSafeEqual(sha256(m[1]!), expected)) {
      next(
        new NavbridgeError('REC_UNAUTHORIZED', [
          issue({
            code: 'login',
            diagnostics: 'the admin credential is not valid',
            errorCode: 'REC_UNAUTHORIZED',
          }),
        ]),
      );
      return;
    }
    res.locals.principal = { kind: 'admin', actor } satisfies AdminPrincipal;
    next();
  };
}
