// One builder per error code (as Fastify registers each error once): a throw site is one line, and
// every answer of a code has the same shape. A builder takes one diagnostic (with its path) or the
// issues already collected (every problem at once).
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { type ErrorCode, type IssueSeverity, type IssueType, issue, NavbridgeError } from './outcome.js';

/** One problem described in words (never patient data), or the issues already built. */
export type ErrorDetail = string | OperationOutcomeIssue[];

export interface DetailOptions {
  /** FHIRPath or record path of the element at fault. */
  expression?: string | readonly string[];
  /** The FHIR issue type, when more precise than the builder's default. */
  code?: IssueType;
  severity?: IssueSeverity;
}

function build(
  errorCode: ErrorCode,
  defaultType: IssueType,
  detail: ErrorDetail,
  opts: DetailOptions = {},
): NavbridgeError {
  if (typeof detail !== 'string') return new NavbridgeError(errorCode, detail);
  return new NavbridgeError(errorCode, [
    issue({
      code: opts.code ?? defaultType,
      diagnostics: detail,
      errorCode,
      ...(opts.severity ? { severity: opts.severity } : {}),
      ...(opts.expression !== undefined ? { expression: opts.expression } : {}),
    }),
  ]);
}

/** 400: the request or record is malformed (structure, unknown fields, bad values). */
export const badRequest = (detail: ErrorDetail, opts?: DetailOptions): NavbridgeError =>
  build('REC_BAD_REQUEST', 'invalid', detail, opts);

/**
 * 401: no credentials, or credentials that do not verify (the caller sets WWW-Authenticate).
 * `refusal` names the check that failed: logged, never told to the caller.
 */
export const unauthorized = (detail: string, opts?: DetailOptions & { refusal?: string }): NavbridgeError => {
  const err = build('REC_UNAUTHORIZED', 'login', detail, opts);
  err.logDetail = opts?.refusal;
  return err;
};

/** 403: an authenticated caller asking for something its kind or tenancy does not allow. */
export const forbidden = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_FORBIDDEN', 'forbidden', detail, opts);

/** 404: no such thing, or not the caller's (answered exactly alike). Never echoes the path asked for. */
export const notFound = (what = 'resource', opts?: DetailOptions): NavbridgeError =>
  build('REC_NOT_FOUND', 'not-found', `no such ${what}`, opts);

/** 405: a known FHIR type, but an interaction navbridge does not implement on it (CapabilityStatement). */
export const methodNotAllowed = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_METHOD_NOT_ALLOWED', 'not-supported', detail, opts);

/** 406: the caller accepts only a format (FHIR XML) or a BaRS major version navbridge does not produce. */
export const notAcceptable = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_NOT_ACCEPTABLE', 'not-supported', detail, opts);

/** 409: a duplicate (BaRS REC_CONFLICT) or a version conflict. */
export const conflict = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_CONFLICT', 'conflict', detail, opts);

/** 413: the body exceeds a limit. */
export const tooLarge = (detail: ErrorDetail, opts?: DetailOptions): NavbridgeError =>
  build('REC_TOO_LARGE', 'too-long', detail, opts);

/** 415: the body's media type (or charset, or encoding) is not one the endpoint takes. */
export const unsupportedMediaType = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_UNSUPPORTED_MEDIA_TYPE', 'not-supported', detail, opts);

/** 429: the caller (or its address) is over its rate limit, or failed to authenticate too often. */
export const tooManyRequests = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_TOO_MANY_REQUESTS', 'throttled', detail, opts);

/** 422: well-formed, but a business rule refuses it (unknown site or referral, bad codes). */
export const unprocessable = (detail: ErrorDetail, opts?: DetailOptions): NavbridgeError =>
  build('REC_UNPROCESSABLE_ENTITY', 'processing', detail, opts);

/** 500: an internal failure; the details go to the log, never to the caller. */
export const serverError = (): NavbridgeError =>
  build('REC_SERVER_ERROR', 'exception', 'internal error', { severity: 'fatal' });

/** 503: a dependency (PostgreSQL, Redis) is unreachable or the service is saturated; try again later. */
export const unavailable = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('SERVICE_UNAVAILABLE', 'transient', detail, opts);

/** A mapping failed or produced FHIR that does not validate: a mapping bug, never the caller's. */
export const mappingError = (detail: ErrorDetail, opts?: DetailOptions): NavbridgeError =>
  build('MAPPING_ERROR', 'processing', detail, opts);

/** A configuration, mapping file or secret is missing or invalid (start-up and CLI exit 2). */
export const configError = (detail: ErrorDetail, opts?: DetailOptions): NavbridgeError =>
  build('CONFIG_ERROR', 'processing', detail, opts);

/** 425: the same request (X-Request-Id) is still being processed: retry later (BaRS transactional integrity). */
export const tooEarly = (detail: string, opts?: DetailOptions): NavbridgeError =>
  build('REC_TOO_EARLY', 'transient', detail, opts);

/** Key ids as NAVBRIDGE_MASTER_KEYS names them; anything else read from a row is not repeated. */
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * 503: a stored value is sealed under a master key this process is not configured with — the server's
 * misconfiguration, not the caller's fault. The key id goes to the log only (never a key, never data).
 */
export const masterKeyUnavailable = (keyId: string): NavbridgeError => {
  const err = build(
    'MASTER_KEY_UNAVAILABLE',
    'exception',
    'stored data is sealed under a master key this server is not configured with; the operator must add it to NAVBRIDGE_MASTER_KEYS',
  );
  err.logDetail = `master key ${KEY_ID.test(keyId) ? keyId : '(malformed id)'} is not configured`;
  return err;
};
