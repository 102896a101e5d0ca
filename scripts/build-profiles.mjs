// Compiles profiles/input/fsh with SUSHI (snapshots on) into profiles/fsh-generated/resources, or with
// --check builds into a temp dir and exits 1 naming every file that differs from the committed output.
//
// SUSHI runs in-process rather than through its CLI because the CLI (a) always runs `npm view fsh-sushi`
// (network, up to 5 s) and (b) always tries to load hl7.fhir.uv.tools.r4, hl7.terminology.r4 and
// hl7.fhir.uv.extensions.r4 at version `latest` from packages.fhir.org, with no switch to turn that off.
// Here only hl7.fhir.r4.core#4.0.1 is loaded, from the project-local cache primed by
// scripts/prime-sushi-cache.mjs, with a registry client that refuses to download: fully offline.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sushi from 'fsh-sushi';
import { LOCAL_CACHE_DIR, primeSushiCache } from './prime-sushi-cache.mjs';

const { fhirdefs, sushiExport, utils } = sushi;
// fhir-package-loader is SUSHI's own dependency: resolve it from SUSHI so the versions always match.
const { DiskBasedPackageCache } = createRequire(createRequire(import.meta.url).resolve('fsh-sushi'))(
  'fhir-package-loader',
);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROFILES_DIR = path.join(root, 'profiles');
const GENERATED_DIR = path.join(PROFILES_DIR, 'fsh-generated', 'resources');

/** Refuses every download: anything not in the primed cache is a build error, never a network call. */
const offlineClient = {
  async resolveVersion(name, version) {
    if (/^\d+\.\d+\.\d+/.test(version)) return version;
    throw new Error(`offline build: cannot resolve ${name}#${version}`);
  },
  async download(name, version) {
    throw new Error(`offline build: ${name}#${version} is not in ${LOCAL_CACHE_DIR}`);
  },
  async downloadCurrentBuild(name) {
    throw new Error(`offline build: no current build of ${name}`);
  },
  async getCurrentBuildDate() {
    return undefined;
  },
};

/** Runs SUSHI on profiles/ and writes resources under `outDir`/fsh-generated/resources. */
async function compile(outDir) {
  utils.logger.level = 'warn';
  const config = utils.readConfig(PROFILES_DIR);
  const dependencies = config.dependencies ?? [];
  if (dependencies.length > 0) {
    throw new Error('sushi-config.yaml must not declare dependencies: they cannot be fetched offline');
  }
  const tank = utils.fillTank(utils.getRawFSHes(path.join(PROFILES_DIR, 'input', 'fsh')), config);
  tank.checkDuplicateNameEntities();
  const log = (level, message) => utils.logger.log(level, message);
  const defs = await fhirdefs.createFHIRDefinitions({
    packageCache: new DiskBasedPackageCache(LOCAL_CACHE_DIR, { log }),
    registryClient: offlineClient,
    currentBuildClient: offlineClient,
  });
  const status = await defs.loadPackage('hl7.fhir.r4.core', '4.0.1');
  if (status !== 'LOADED') {
    throw new Error('hl7.fhir.r4.core#4.0.1 did not load from the primed cache');
  }
  defs.optimize();
  const outPackage = sushiExport.exportFHIR(tank, defs);
  utils.writeFHIRResources(outDir, outPackage, defs, true);
  if (utils.stats.numError > 0) {
    throw new Error(`SUSHI reported ${utils.stats.numError} error(s)`);
  }
  return path.join(outDir, 'fsh-generated', 'resources');
}

const listJson = (dir) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];

/** Files that are missing, extra or different between the fresh build and the committed output. */
function diff(freshDir, committedDir) {
  const fresh = listJson(freshDir);
  const committed = listJson(committedDir);
  const out = [];
  for (const f of fresh) {
    if (!committed.includes(f)) out.push(`missing: ${f}`);
    else if (!fs.readFileSync(path.join(freshDir, f)).equals(fs.readFileSync(path.join(committedDir, f)))) {
      out.push(`differs: ${f}`);
    }
  }
  for (const f of committed) if (!fresh.includes(f)) out.push(`stale: ${f}`);
  return out;
}

/** questionnaires.fsh is generated from src/records/assessment-tools.ts: regenerate (or check) it first. */
function generateQuestionnairesFsh(check) {
  const script = path.join(root, 'scripts', 'generate-questionnaires-fsh.ts');
  const args = ['--import', 'tsx', script, ...(check ? ['--check'] : [])];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

async function main() {
  const check = process.argv.includes('--check');
  primeSushiCache();
  if (!generateQuestionnairesFsh(check)) return 1;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'navbridge-profiles-'));
  try {
    const freshDir = await compile(tmp);
    const problems = diff(freshDir, GENERATED_DIR);
    if (check) {
      if (problems.length > 0) {
        console.error('profiles/fsh-generated is out of date (run npm run profiles:build):');
        for (const p of problems) console.error(`  ${p}`);
        return 1;
      }
      console.log(`profiles up to date (${listJson(freshDir).length} resources)`);
      return 0;
    }
    fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(GENERATED_DIR), { recursive: true });
    fs.cpSync(freshDir, GENERATED_DIR, { recursive: true });
    console.log(`wrote ${listJson(GENERATED_DIR).length} resources to profiles/fsh-generated/resources`);
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`build-profiles: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
