// FHIR REST conventions as HAPI and Medplum keep them: JSON only (406 for XML), `Prefer: return=` on
// every create (ServiceRequest and transaction), versioned reads (ETag W/"vid", meta.versionId/lastUpdated), and 405 for an interaction a
// known type does not support — each a small piece the router composes.
import type { NextFunction, Request, Response } from 'express';
import type { Resource } from 'fhir/r4.js';
import { badRequest, methodNotAllowed, notAcceptable } from '../../errors/index.js';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const ANY = new Set(['*/*', 'application/*']);

/** The media types an Accept header lists (parameters and q=0 entries dropped). */
function accepted(header: string): string[] {
  return header
    .split(',')
    .map((part) => part.split(';').map((p) => p.trim().toLowerCase()))
    .filter(([type, ...params]) => type && !params.some((p) => /^q=0(\.0*)?$/.test(p)))
    .map(([type]) => type!);
}

/** 406 when `_format` or `Accept` asks only for what navbridge does not produce (FHIR XML, Turtle). */
export function requireJsonFormat(req: Request, _res: Response, next: NextFunction): void {
  const format = req.query._format;
  if (format !== undefined) {
    const value = Array.isArray(format) ? format[0] : format;
    if (typeof value !== 'string' || !JSON_FORMATS.has(value.trim().toLowerCase()))
      throw notAcceptable('_format: navbridge answers application/fhir+json only', { expression: '_format' });
  }
  const accept = req.get('accept');
  if (accept !== undefined && accept.trim() !== '') {
    const types = accepted(accept);
    if (!types.some((t) => ANY.has(t) || JSON_FORMATS.has(t)))
      throw notAcceptable('Accept: navbridge answers application/fhir+json only', { expression: 'Accept' });
  }
  next();
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';
const RETURNS: readonly PreferReturn[] = ['minimal', 'representation', 'OperationOutcome'];

/** `Prefer: return=…` (RFC 7240; FHIR http.html#ops). Absent → undefined; an unknown value → 400. */
export function preferReturn(req: Request): PreferReturn | undefined {
  const header = req.get('prefer');
  if (header === undefined) return undefined;
  const m = /(?:^|[;,\s])return\s*=\s*"?([A-Za-z-]+)"?/.exec(header);
  if (!m) return undefined;
  const value = RETURNS.find((r) => r === m[1]);
  if (!value)
    throw badRequest(`Prefer: return must be one of ${RETURNS.join(', ')}`, {
      code: 'value',
      expression: 'Prefer',
    });
  return value;
}

/** ETag and Last-Modified of a read, from the resource's meta (FHIR http.html#versioning). */
export function setVersionHeaders(res: Response, resource: Resource): void {
  const vid = resource.meta?.versionId;
  if (vid) res.set('ETag', `W/"${vid}"`);
  const updated = resource.meta?.lastUpdated;
  if (updated) res.set('Last-Modified', new Date(updated).toUTCString());
}

/** Interactions navbridge implements per known type and path: anything else on these paths is a 405. */
const SUPPORTED: readonly { path: RegExp; what: string; allow: string }[] = [
  { path: /^\/ServiceRequest\/?$/, what: 'ServiceRequest', allow: 'POST' },
  { path: /^\/ServiceRequest\/[^/]+\/?$/, what: 'ServiceRequest/{id}', allow: 'GET, HEAD' },
  { path: /^\/Task\/?$/, what: 'Task', allow: 'GET, HEAD' },
  { path: /^\/Task\/[^/]+\/?$/, what: 'Task/{id}', allow: 'GET, HEAD' },
  {
    path: /^\/(ServiceRequest|Task)\/[^/]+\/_history(\/[^/]+)?\/?$/,
    what: 'history and vread',
    allow: 'GET, HEAD',
  },
  { path: /^\/(ServiceRequest|Task)\/[^/]+\/.+$/, what: 'instance operations', allow: '' },
];

/**
 * Mounted after the routes (a middleware, not routes, so the OpenAPI route test sees only what is
 * served): a request no route took, on a known type's path, is a 405 with `Allow`, not a 404.
 */
export function answerUnsupported(req: Request, res: Response, next: NextFunction): void {
  const known = SUPPORTED.find((s) => s.path.test(req.path));
  if (!known) {
    next();
    return;
  }
  if (known.allow) res.set('Allow', known.allow);
  throw methodNotAllowed(
    `${req.method} is not supported on ${known.what}${known.allow ? ` (supported: ${known.allow})` : ''}`,
  );
}
