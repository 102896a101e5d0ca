// HTTP side of the sandbox partner: request bodies, FHIR response headers (ETag, Last-Modified,
// Location) and search paging links (self/next/previous with _count/_offset), which medplum omits.
import type http from 'node:http';
import { badRequest } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';

export interface Reply {
  status: number;
  body?: Resource;
  headers?: Record<string, string>;
  /** Fault injection: drop the connection instead of answering. */
  destroy?: boolean;
  /** Fault injection: answered as an intermediary would (no FHIR body, request ids not echoed). */
  intermediary?: boolean;
}

/** ETag and Last-Modified of a versioned resource, Location on create (RFC 9110; FHIR http.html#create). */
export function resourceHeaders(resource: Resource, status: number, baseUrl: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const versionId = resource.meta?.versionId;
  if (!resource.id || !versionId || resource.resourceType === 'OperationOutcome') return headers;
  headers.etag = `W/"${versionId}"`;
  if (resource.meta?.lastUpdated)
    headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (status === 201) {
    headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId}`;
  }
  return headers;
}

/** Adds _count when the client gave none, so searches page like a real server's. */
export function withDefaultCount(query: URLSearchParams, pageSize: number): URLSearchParams {
  const out = new URLSearchParams(query);
  if (!out.has('_count')) out.set('_count', String(pageSize));
  return out;
}

/**
 * Completes a searchset: fullUrl and search.mode on entries, and `link` self/next/previous built from
 * _count/_offset (medplum already slices the page and reports the total).
 */
export function decorateSearchset(
  bundle: Bundle,
  baseUrl: string,
  resourceType: string,
  query: URLSearchParams,
): void {
  const count = Number(query.get('_count'));
  const offset = Number(query.get('_offset') ?? 0) || 0;
  const total = bundle.total ?? 0;
  const pageUrl = (newOffset: number): string => {
    const params = new URLSearchParams(query);
    params.set('_offset', String(newOffset));
    return `${baseUrl}/${resourceType}?${params.toString()}`;
  };
  const self = query.toString();
  bundle.link = [{ relation: 'self', url: `${baseUrl}/${resourceType}${self ? `?${self}` : ''}` }];
  if (count > 0 && offset + count < total)
    bundle.link.push({ relation: 'next', url: pageUrl(offset + count) });
  if (count > 0 && offset > 0)
    bundle.link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (r?.id) entry.fullUrl = `${baseUrl}/${r.resourceType}/${r.id}`;
    entry.search = { mode: 'match' };
  }
}

export function jsonBody(body: Resource | undefined): string {
  return body === undefined ? '' : JSON.stringify(body);
}

export class BodyTooLarge extends Error {}

export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export function parseJson(raw: string, contentType: string): { value: unknown } | { error: Reply } {
  if (raw.trim() === '') return { value: undefined };
  if (!/json/i.test(contentType)) {
    return { error: { status: 415, body: badRequest('Content-Type must be application/fhir+json') } };
  }
  try {
    return { value: JSON.parse(raw) };
  } catch {
    // The parser's message quotes the input; a partner server would not echo it either.
    return { error: { status: 400, body: badRequest('Body is not valid JSON') } };
  }
}
