// Real HTTP against a sandbox partner server (node fetch to 127.0.0.1).
import type { Bundle, OperationOutcome, Resource } from 'fhir/r4.js';

export interface FhirReply<T = Resource> {
  status: number;
  headers: Headers;
  body: T;
}

export async function fhir<T = Resource>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FhirReply<T>> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      accept: 'application/fhir+json',
      ...(init.body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...init.headers,
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export const SYS = 'https://fhir.navbridge.org.uk/Id/test';

/** A reply that is a Bundle on success and an OperationOutcome on failure. */
export type BundleOrOutcome = Omit<Bundle, 'resourceType'> &
  Partial<Pick<OperationOutcome, 'issue'>> & { resourceType: string };
