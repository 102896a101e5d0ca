// Loaders of the repository's own test fixtures (test/fixtures). Every call parses the file afresh, so
// a test may change what it gets without touching another test's copy.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** test/fixtures/records: one valid record of each type and event (named by file, without .json). */
export const RECORD_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/records/', import.meta.url));

/** A JSON file, parsed. */
export function readJson<T = unknown>(file: string | URL): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * test/fixtures/records/<name>.json, e.g. recordFixture('referral'), recordFixture('event-contacted').
 * Untyped unless asked: tests edit fixtures freely, into valid records of other shapes or invalid ones.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export function recordFixture<T = any>(name: string): NoInfer<T> {
  return readJson<T>(new URL(`../fixtures/records/${name}.json`, import.meta.url));
}

/** test/fixtures/fhir/<relative> (see test/fixtures/fhir/README.md). */
export function fhirFixture<T = unknown>(relative: string): T {
  return readJson<T>(new URL(`../fixtures/fhir/${relative}`, import.meta.url));
}

/** The ServiceRequest id in a `Location` navbridge answers (`…/ServiceRequest/{id}/_history/{vid}`). */
export function serviceRequestIdOf(location: string | null | undefined): string {
  return /\/ServiceRequest\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(location ?? '')?.[1] ?? '';
}

/**
 * The GP practice most suites configure as a partner (Chapel Allerton, ODS B86016, transaction mode,
 * referral status only, unreachable unless a suite gives its own baseUrl), with a suite's own fields.
 */
export function gpPartner(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'gp-a',
    name: 'Chapel Allerton Medical Centre',
    kind: 'gp-practice',
    odsCodes: ['B86016'],
    baseUrl: 'http://127.0.0.1:9/fhir',
    mode: 'transaction',
    receives: ['referral-status'],
    ...fields,
  };
}
