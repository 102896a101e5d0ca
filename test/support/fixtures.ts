// Loaders of the repository's own test fixtures (test/fixtures). Every call parses the file afresh, so
// a test may change what it gets without touching another test's copy.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A JSON file, parsed. */
export function readJson<T = unknown>(file: string | URL): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** test/fixtures/fhir/<relative> (see test/fixtures/fhir/README.md). */
export function fhirFixture<T = unknown>(relative: string): T {
  return readJson<T>(new URL(`../fixtures/fhir/${relative}`, import.meta.url));
}
