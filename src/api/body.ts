// The one JSON body reader of every endpoint. It refuses, before any expensive work and in time linear
// in the body: a media type, charset or content encoding it does not take (415); a body over the byte
// limit (413); bytes that are not UTF-8, and JSON that is not well formed (400); nesting deeper, arrays
// longer, strings longer or more values than the limits (413, with the path of the first offender);
// keys that would reach an object's prototype (`__proto__`, `constructor`, `prototype`: unknown fields,
// as secure-json-parse refuses them for Fastify); lone surrogates and control characters in strings and
// keys (400). Every problem names its path; none quotes the input.

import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import getRawBody from 'raw-body';
import sjson from 'secure-json-parse';
import { badRequest, issue, tooLarge, unsupportedMediaType } from '../errors/index.js';
import { type HttpLimits, httpLimitsSchema } from '../settings/http.js';

export type BodyLimits = HttpLimits;

export const DEFAULT_BODY_LIMITS: BodyLimits = httpLimitsSchema.parse({});

/** Keys no FHIR element or navbridge field has, that reach prototypes in careless code. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ENCODINGS = new Set(['identity', 'gzip', 'deflate', 'br']);
/** C0 controls other than tab, line feed and carriage return (FHIR strings refuse them), and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const MAX_ISSUES = 20;

/**
 * How deep the document nests, read from the text alone (brackets outside strings), stopping at `limit`.
 * Strings are skipped with native `indexOf` to their closing quote (one not escaped by an odd run of
 * backslashes), so long strings cost next to nothing; the whole scan is linear.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return max; // unterminated: the parser refuses it
        let k = j - 1;
        while (text.charCodeAt(k) === 92) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

const pathOf = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/** Walks the parsed document once (iteratively: no recursion to overflow) and collects what it refuses. */
export function checkShape(
  doc: unknown,
  limits: BodyLimits,
): { tooLarge: OperationOutcomeIssue[]; invalid: OperationOutcomeIssue[] } {
  const big: OperationOutcomeIssue[] = [];
  const bad: OperationOutcomeIssue[] = [];
  const badString = (s: string): string | undefined =>
    !s.isWellFormed()
      ? 'contains a lone surrogate'
      : CONTROL.test(s)
        ? 'contains a control character'
        : undefined;
  const stack: { value: unknown; path: string }[] = [{ value: doc, path: '' }];
  let values = 0;
  while (stack.length > 0 && big.length + bad.length < MAX_ISSUES) {
    const { value, path } = stack.pop()!;
    if (++values > limits.values) {
      big.push(
        issue({
          code: 'too-long',
          diagnostics: `the body holds more than ${limits.values} values`,
          errorCode: 'REC_TOO_LARGE',
        }),
      );
      break;
    }
    const where = path || '(body)';
    if (typeof value === 'string') {
      if (value.length > limits.stringLength)
        big.push(
          issue({
            code: 'too-long',
            diagnostics: `${where}: longer than ${limits.stringLength} characters`,
            expression: where,
            errorCode: 'REC_TOO_LARGE',
          }),
        );
      const why = badString(value);
      if (why)
        bad.push(
          issue({
            code: 'value',
            diagnostics: `${where}: ${why}`,
            expression: where,
            errorCode: 'REC_BAD_REQUEST',
          }),
        );
    } else if (Array.isArray(value)) {
      if (value.length > limits.arrayLength) {
        big.push(
          issue({
            code: 'too-long',
            diagnostics: `${where}: more than ${limits.arrayLength} elements`,
            expression: where,
            errorCode: 'REC_TOO_LARGE',
          }),
        );
        continue;
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: pathOf(path, i) });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child = pathOf(path, key.length > 64 || badString(key) ? '(key)' : key);
        if (key.length > limits.stringLength)
          big.push(
            issue({
              code: 'too-long',
              diagnostics: `${where}: a key longer than ${limits.stringLength} characters`,
              expression: where,
              errorCode: 'REC_TOO_LARGE',
            }),
          );
        else if (badString(key))
          bad.push(
            issue({
              code: 'value',
              diagnostics: `${where}: a key ${badString(key)}`,
              expression: where,
              errorCode: 'REC_BAD_REQUEST',
            }),
          );
        else if (PROTOTYPE_KEYS.has(key))
          bad.push(
            issue({
              code: 'structure',
              diagnostics: `${child}: unknown field`,
              expression: child,
              errorCode: 'REC_BAD_REQUEST',
            }),
          );
        else stack.push({ value: (value as Record<string, unknown>)[key], path: child });
      }
    }
  }
  return { tooLarge: big, invalid: bad };
}

/** The media type's charset: utf-8 (or none, which JSON defines as UTF-8) is the only one taken. */
function charsetOf(req: Request): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]{0,40})"?/i.exec(req.get('content-type') ?? '');
  return m?.[1]?.toLowerCase();
}

function contentEncoding(req: Request): string {
  const enc = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (!ENCODINGS.has(enc))
    throw unsupportedMediaType('Content-Encoding: only gzip, deflate, br or identity are taken', {
      expression: 'Content-Encoding',
    });
  return enc;
}

async function readText(req: Request, limits: BodyLimits): Promise<string> {
  const encoding = contentEncoding(req);
  const charset = charsetOf(req);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw unsupportedMediaType('Content-Type: the charset must be utf-8', { expression: 'Content-Type' });
  const stream =
    encoding === 'gzip'
      ? req.pipe(createGunzip())
      : encoding === 'deflate'
        ? req.pipe(createInflate())
        : encoding === 'br'
          ? req.pipe(createBrotliDecompress())
          : req;
  let raw: Buffer;
  try {
    const length = encoding === 'identity' ? req.get('content-length') : undefined;
    raw = await getRawBody(stream, { limit: limits.bytes, ...(length ? { length } : {}) });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large')
      throw tooLarge(`the body is larger than ${limits.bytes} bytes`);
    if (encoding !== 'identity')
      throw badRequest(`the body is not valid ${encoding} data`, {
        code: 'structure',
        expression: 'Content-Encoding',
      });
    if ((err as { type?: string }).type === 'request.size.invalid')
      throw badRequest('the body does not have the length Content-Length gives', {
        code: 'structure',
        expression: 'Content-Length',
      });
    throw badRequest('the body could not be read', { code: 'structure' });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw badRequest('the body is not valid UTF-8', { code: 'structure' });
  }
}

/** Path segments and query text: decoded, they must be well-formed Unicode without control characters. */
export function checkRequestTarget(url: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    throw badRequest('the request path or query is not valid percent-encoding', { code: 'structure' });
  }
  if (!decoded.isWellFormed() || CONTROL.test(decoded))
    throw badRequest('the request path or query contains a control character or a lone surrogate', {
      code: 'structure',
    });
}

/** Parses and checks a body already read (for the CLI and tests as much as for HTTP). */
export function parseJsonText(text: string, limits: BodyLimits = DEFAULT_BODY_LIMITS): unknown {
  if (nestingDepth(text, limits.depth) > limits.depth)
    throw tooLarge(`the body nests deeper than ${limits.depth} levels`, { code: 'too-long' });
  let doc: unknown;
  try {
    doc = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    // secure-json-parse refuses prototype keys without saying where: JSON.parse makes them plain own
    // keys, which the shape check below reports at their paths.
    if (!(err instanceof SyntaxError) || !/prototype|constructor/i.test(err.message))
      throw badRequest('the body is not valid JSON', { code: 'structure' });
    doc = JSON.parse(text);
  }
  const { tooLarge: big, invalid } = checkShape(doc, limits);
  if (big.length > 0) throw tooLarge(big);
  if (invalid.length > 0) throw badRequest(invalid);
  return doc;
}

/** express middleware: JSON bodies of the given media types into req.body; other types refused 415. */
export function jsonBody(types: readonly string[], limits: BodyLimits = DEFAULT_BODY_LIMITS): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return next();
    // type-is: null when the request has no body at all (left undefined), false for another type.
    const type = req.is([...types]);
    if (type === null) return next();
    if (type === false)
      return next(unsupportedMediaType(`the body must be ${types[0]}`, { expression: 'Content-Type' }));
    readText(req, limits)
      .then((text) => {
        req.body = parseJsonText(text, limits);
        next();
      })
      .catch(next);
  };
}
