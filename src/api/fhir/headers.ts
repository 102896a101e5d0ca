// BaRS request headers: X-Request-Id (unique per partner), X-Correlation-Id (kept and echoed), and the
// Base64-encoded JSON NHSD-* headers, decoded tolerantly (standard or URL-safe alphabet, padding optional).
import type { NextFunction, Request, Response } from 'express';
import { badRequest, notAcceptable } from '../../errors/index.js';
import { BARS_MAJOR } from '../../intake/index.js';

/** BaRS headers whose value is Base64-encoded JSON. */
export const BASE64_HEADERS = [
  'nhsd-target-identifier',
  'nhsd-end-user-organisation',
  'nhsd-requesting-practitioner',
  'nhsd-requesting-software',
] as const;

export interface BarsHeaders {
  requestId?: string;
  correlationId?: string;
  /** Decoded NHSD-* headers by lower-case name. */
  nhsd: Record<string, unknown>;
}

const HEADER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function decodeBase64Json(value: string): unknown {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error('not base64');
  const text = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return JSON.parse(text);
}

/**
 * BaRS: X-Request-Id and X-Correlation-Id are echoed on every response, errors included — each only
 * when it is a well-formed id (anything else is not repeated back).
 */
export function echoBarsIds(req: Request, res: Response, next: NextFunction): void {
  for (const name of ['X-Request-Id', 'X-Correlation-Id']) {
    const v = req.get(name);
    if (v !== undefined && HEADER_ID.test(v)) res.set(name, v);
  }
  next();
}

/** BaRS requires both ids on a message (`$process-message`): 400 naming the one missing. */
export function requireBarsIds(req: Request): void {
  for (const name of ['X-Request-Id', 'X-Correlation-Id'])
    if (req.get(name) === undefined)
      throw badRequest(`${name}: is required on $process-message (BaRS)`, {
        code: 'required',
        expression: name,
      });
}

export function readBarsHeaders(req: Request): BarsHeaders {
  const bad = (name: string, rule: string) =>
    badRequest(`${name}: ${rule}`, { code: 'structure', expression: name });
  const requestId = req.get('x-request-id');
  const correlationId = req.get('x-correlation-id');
  if (requestId !== undefined && !HEADER_ID.test(requestId))
    throw bad('X-Request-Id', 'must be an id (e.g. a UUID)');
  if (correlationId !== undefined && !HEADER_ID.test(correlationId))
    throw bad('X-Correlation-Id', 'must be an id (e.g. a UUID)');
  const nhsd: Record<string, unknown> = {};
  for (const name of BASE64_HEADERS) {
    const v = req.get(name);
    if (v === undefined) continue;
    const display = name
      .replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => `${d}${c.toUpperCase()}`)
      .replace('Nhsd', 'NHSD');
    try {
      nhsd[name] = decodeBase64Json(v);
    } catch {
      throw bad(display, 'must be Base64-encoded JSON');
    }
  }
  return {
    ...(requestId ? { requestId } : {}),
    ...(correlationId ? { correlationId } : {}),
    nhsd,
  };
}

/** The `version=` parameters of an Accept header's media ranges (undefined where a range names none). */
function acceptedVersions(accept: string): (string | undefined)[] {
  return accept.split(',').map((range) => {
    const param = range
      .split(';')
      .slice(1)
      .map((p) => p.trim().split('='))
      .find(([k]) => k?.trim().toLowerCase() === 'version');
    return param?.[1]?.trim().replace(/^"|"$/g, '');
  });
}

/**
 * BaRS version negotiation: the Accept header names the BaRS Core version the sender expects
 * (`application/fhir+json; version=1.5.0`). A request none of whose media ranges this major version
 * can answer (every one names a higher major) is refused 406 REC_NOT_ACCEPTABLE.
 */
export function acceptBarsVersion(req: Request, _res: Response, next: NextFunction): void {
  const accept = req.get('accept');
  const ok =
    !accept ||
    acceptedVersions(accept).some((v) => {
      const major = v === undefined ? Number.NaN : Number(/^(\d{1,4})(?:\.|$)/.exec(v)?.[1]);
      return Number.isNaN(major) || major <= BARS_MAJOR;
    });
  const refusal = notAcceptable(
    `Accept: this service speaks BaRS ${BARS_MAJOR}.x; the version asked for is not supported`,
    { expression: 'Accept' },
  );
  next(ok ? undefined : refusal);
}
