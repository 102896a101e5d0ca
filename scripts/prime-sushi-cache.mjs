// Primes SUSHI's FHIR package cache offline (npm postinstall): copies the R4 core conformance
// resources from the npm package hl7.fhir.r4.examples@4.0.1 in as hl7.fhir.r4.core#4.0.1.
//
// Where: a project-local cache, `.sushi-cache/packages/` (gitignored), which scripts/build-profiles.mjs
// hands to SUSHI programmatically. SUSHI's own CLI only looks in `$HOME/.fhir/packages` (os.homedir(),
// no env var or option), so `--home` also primes that one for people who run `npx sushi` by hand.
// Only StructureDefinitions, ValueSets and CodeSystems are copied: SUSHI reads every JSON file of a
// package on load, and the examples, SearchParameters etc. (~120 MB) only slow it down.
// Idempotent and fast when primed: a stamp file written last records what was copied.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ID = 'hl7.fhir.r4.core';
const PACKAGE_VERSION = '4.0.1';
const SOURCE_PACKAGE = 'hl7.fhir.r4.examples';
const KEPT_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem'];
const STAMP_FILE = '.navbridge-primed.json';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The project-local cache directory SUSHI is pointed at (a FHIR package cache: <id>#<version>/package). */
export const LOCAL_CACHE_DIR = path.join(root, '.sushi-cache', 'packages');

function sourceDir() {
  const dir = path.join(root, 'node_modules', SOURCE_PACKAGE);
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    throw new Error(`${SOURCE_PACKAGE} is not installed (run npm ci)`);
  }
  return dir;
}

function sourceFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && KEPT_TYPES.some((t) => f.startsWith(`${t}-`)))
    .sort();
}

function isPrimed(target, expected) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(target, STAMP_FILE), 'utf8'));
    return stamp.source === expected.source && stamp.files === expected.files;
  } catch {
    return false;
  }
}

/** FHIR NPM package spec: .index.json lists each resource's filename, type, id, url and version. */
function indexEntry(filename, resource) {
  const entry = { filename, resourceType: resource.resourceType, id: resource.id };
  for (const key of ['url', 'version', 'kind', 'type']) {
    if (typeof resource[key] === 'string') entry[key] = resource[key];
  }
  return entry;
}

function primeInto(cacheDir) {
  const src = sourceDir();
  const files = sourceFiles(src);
  const srcPkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
  const expected = { source: `${srcPkg.name}@${srcPkg.version}`, files: files.length };
  const target = path.join(cacheDir, `${PACKAGE_ID}#${PACKAGE_VERSION}`);
  if (isPrimed(target, expected)) return { target, copied: false };

  // Build beside the target and rename, so an interrupted run never leaves a half-primed package.
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, '.priming-'));
  const pkgDir = path.join(tmp, 'package');
  fs.mkdirSync(pkgDir);
  const index = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(src, f), 'utf8');
    fs.writeFileSync(path.join(pkgDir, f), text);
    index.push(indexEntry(f, JSON.parse(text)));
  }
  const packageJson = {
    name: PACKAGE_ID,
    version: PACKAGE_VERSION,
    fhirVersions: [PACKAGE_VERSION],
    type: 'Core',
    license: srcPkg.license,
    canonical: 'http://hl7.org/fhir',
    url: 'http://hl7.org/fhir/R4',
    title: 'FHIR R4 core definitions (navbridge: copied offline from hl7.fhir.r4.examples)',
    description: 'StructureDefinitions, ValueSets and CodeSystems of FHIR R4 4.0.1',
    dependencies: {},
  };
  fs.writeFileSync(path.join(pkgDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  fs.writeFileSync(
    path.join(pkgDir, '.index.json'),
    `${JSON.stringify({ 'index-version': 1, files: index }, null, 1)}\n`,
  );
  fs.writeFileSync(path.join(tmp, STAMP_FILE), `${JSON.stringify(expected)}\n`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(tmp, target);
  return { target, copied: true };
}

export function primeSushiCache({ home = false } = {}) {
  const results = [primeInto(LOCAL_CACHE_DIR)];
  if (home) results.push(primeInto(path.join(os.homedir(), '.fhir', 'packages')));
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!fs.existsSync(path.join(root, 'node_modules', SOURCE_PACKAGE))) {
    // A production install (--omit=dev) has no SUSHI either: nothing to prime, not a failure.
    console.log(`prime-sushi-cache: ${SOURCE_PACKAGE} not installed; skipped`);
    process.exit(0);
  }
  try {
    const results = primeSushiCache({ home: process.argv.includes('--home') });
    for (const r of results) {
      console.log(`${PACKAGE_ID}#${PACKAGE_VERSION} ${r.copied ? 'primed' : 'already primed'}: ${r.target}`);
    }
  } catch (err) {
    console.error(`prime-sushi-cache: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
