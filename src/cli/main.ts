// The `navbridge` CLI: `main(argv, io)` parses the command line, runs a command and returns the exit
// code (0 ok, 1 rejected/invalid/failed, 2 usage or file error). Never prints a stack trace.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../config/load-config.js';
import { runAlerts, runAudit, runDeadLetters, runRecords, runReport, runStatus } from './commands-admin.js';
import { runHashKey } from './commands-auth.js';
import { runKeys, runPrune } from './commands-keys.js';
import { runMappingsCheck, runMappingsTest } from './commands-mappings.js';
import { runMap, runValidate } from './commands-records.js';
import { runMigrate, runServe, runStart, runWorker } from './commands-run.js';
import { runSubmit } from './commands-submit.js';
import { type CliFlags, type CliIo, describeError, EXIT, exitCodeOf, UsageError } from './io.js';

export const USAGE = `navbridge — FHIR R4 adapter for Mental Health Navigation services

Usage:
  navbridge map <record-type> <input.json|input.csv> [--site S] [--context file.json] [--now ISO]
                [--mappings DIR] [--profiles DIR] [--skip-validation]
      Map records (referral, assessment, support-plan, event) to FHIR: one Bundle per record on
      stdout (NDJSON). A structurally invalid record prints an OperationOutcome on stderr (exit 1).
  navbridge validate <resource.json> [--profile URL|name] [--profiles DIR]
      Validate a resource or Bundle; prints an OperationOutcome (exit 0 valid, 1 invalid).
  navbridge mappings test [--update] [--filter TEXT] [--mappings DIR] [--profiles DIR]
      Run every golden example in mappings/ (--update rewrites the expected files).
  navbridge mappings check [--mappings DIR] [--profiles DIR]
      Check that expressions compile, profiles and codes exist and no disabled function is used.
  navbridge migrate
      Apply database migrations (also done on start-up by every command that uses the database).
  navbridge submit <record-type> <file.json|file.csv> [--site S]
      Store, map, route and queue records for delivery (the service behind POST /api/v1/records).
  navbridge worker
      Run the delivery workers for every configured partner until SIGTERM (finishes in-flight work).
  navbridge start [--port N]
      Run the HTTP API and a delivery worker together in one process. Under a supervisor run
      \`node bin/navbridge.js start\` (not npm start: npm does not pass SIGTERM on).
  navbridge serve [--port N]
      Run the HTTP API (/health, /admin, /api/v1, /fhir, /api/openapi.json) on PORT (default 8080).
  navbridge dead-letters list [--partner P] [--site S] [--reason R] [--from T] [--to T] [--limit N]
                [--nhs-number N] [--correlation-id ID] [--referral-id ID]
  navbridge dead-letters show <exchange-id>
  navbridge dead-letters replay <exchange-id> | replay [filters]   [--remap]
  navbridge dead-letters discard <exchange-id> --reason TEXT
      Inspect and act on dead letters (needs the admin credential in the environment; audited).
  navbridge records list [--state mapping-failed|remapped] [--site S] [--limit N]
  navbridge records remap <id> | remap --site S
      Records and inbound requests kept because their mapping failed; remap re-runs them with the
      current mappings (needs the admin credential; audited).
  navbridge audit list [--actor A] [--action A] [--resource R] [--outcome O] [--from T] [--to T]
                       [--after SEQ] [--limit N]
  navbridge audit export [filters]
  navbridge audit verify
      The audit trail (needs the admin credential): list rows (NDJSON), export every matching row as
      FHIR AuditEvent resources (NDJSON), verify the hash chain (exit 1 naming the first broken row).
  navbridge keys generate [ID]
      Print a new master key entry (ID:base64 of 32 random bytes) for NAVBRIDGE_MASTER_KEYS.
  navbridge keys status
  navbridge keys rotate [--batch N]
      Count sealed rows by master key; reseal, in batches while the service runs, every row that is
      plaintext or under a key other than the active one, and fill the report facts of records sealed
      before records.facts existed (admin credential; audited).
  navbridge prune
      Delete payloads past their retention days (config retention.*): rows, metadata and the audit
      trail are kept (admin credential; audited). Workers also prune every retention.intervalMs.
  navbridge report kpi --site S --from YYYY-MM-DD --to YYYY-MM-DD [--json]
      The commissioners' KPI report of a site over a period of London dates, as a table (or JSON);
      figures defined in README "Reports" (needs the admin credential).
  navbridge alerts list [--all] [--json] [--limit N]
      The watchdog's alerts: open ones (or every one with --all), newest first (needs the admin
      credential).
  navbridge status [--json]
      A table per partner: pending, in flight, delivered today, failed, dead, blocked, circuit and
      the age of the oldest undelivered exchange (needs the admin credential).
  navbridge hash-key < key.txt
      Print the SHA-256 hex digest of a navigator API key read on stdin (for apiKeys[].sha256).
  navbridge help

Exit codes: 0 ok, 1 rejected/invalid/failed, 2 usage or file error.
Environment: NAVBRIDGE_MAPPINGS, NAVBRIDGE_PROFILES (defaults: ./mappings and ./profiles, else the
package's own); for submit/worker/serve/dead-letters: NAVBRIDGE_CONFIG (default navbridge.config.yaml),
DATABASE_URL, REDIS_URL and the secrets the configuration names.
`;

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Flag > environment > ./<name> in the working directory > the package's own. */
function resolveDir(
  flag: string | undefined,
  envValue: string | undefined,
  name: string,
  cwd: string,
): string {
  if (flag) return path.resolve(cwd, flag);
  if (envValue) return path.resolve(cwd, envValue);
  const local = path.join(cwd, name);
  return existsSync(local) ? local : path.join(PACKAGE_ROOT, name);
}

const OPTIONS = {
  site: { type: 'string' },
  context: { type: 'string' },
  now: { type: 'string' },
  mappings: { type: 'string' },
  profiles: { type: 'string' },
  profile: { type: 'string' },
  update: { type: 'boolean' },
  filter: { type: 'string' },
  'skip-validation': { type: 'boolean' },
  partner: { type: 'string' },
  reason: { type: 'string' },
  actor: { type: 'string' },
  action: { type: 'string' },
  resource: { type: 'string' },
  outcome: { type: 'string' },
  after: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  port: { type: 'string' },
  remap: { type: 'boolean' },
  state: { type: 'string' },
  batch: { type: 'string' },
  'nhs-number': { type: 'string' },
  'correlation-id': { type: 'string' },
  'referral-id': { type: 'string' },
  json: { type: 'boolean' },
  junit: { type: 'string' },
  'allow-rejection': { type: 'boolean' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Aborted on SIGTERM or SIGINT: long-running commands then shut down cleanly. */
function processSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return ac.signal;
}

export function defaultIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
  };
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    let parsed: ReturnType<
      typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>
    >;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments', [
        'see `navbridge help`',
      ]);
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (command === undefined) {
      io.stderr.write(USAGE);
      return EXIT.usage;
    }
    const env = readEnvironment(io.env);
    const flags: CliFlags = {
      ...(values.site !== undefined ? { site: values.site } : {}),
      ...(values.context !== undefined ? { context: values.context } : {}),
      ...(values.now !== undefined ? { now: values.now } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      ...(values.filter !== undefined ? { filter: values.filter } : {}),
      update: values.update ?? false,
      skipValidation: values['skip-validation'] ?? false,
      allowRejection: values['allow-rejection'] ?? false,
      json: values.json ?? false,
      ...(values.junit !== undefined ? { junit: values.junit } : {}),
      mappingsDir: resolveDir(values.mappings, env.NAVBRIDGE_MAPPINGS, 'mappings', io.cwd),
      profilesDir: resolveDir(values.profiles, env.NAVBRIDGE_PROFILES, 'profiles', io.cwd),
    };
    switch (command) {
      case 'map':
        return await runMap(rest, flags, io);
      case 'validate':
        return await runValidate(rest, flags, io);
      case 'mappings': {
        const [sub, ...more] = rest;
        if (more.length > 0) throw new UsageError(`unexpected argument '${more[0]}'`);
        if (sub === 'test') return await runMappingsTest(flags, io);
        if (sub === 'check') return await runMappingsCheck(flags, io);
        throw new UsageError(`unknown command 'mappings ${sub ?? ''}'`.trim(), [
          'use `mappings test` or `mappings check`',
        ]);
      }
      case 'hash-key':
        return await runHashKey(rest, io);
      case 'migrate':
        return await runMigrate(io);
      case 'submit':
        return await runSubmit(rest, { ...(values.site ? { site: values.site } : {}) }, io);
      case 'worker':
        return await runWorker(io, io.signal ?? processSignal());
      case 'start':
        return await runStart(
          { ...(values.port ? { port: values.port } : {}) },
          io,
          io.signal ?? processSignal(),
        );
      case 'serve':
        return await runServe(
          { ...(values.port ? { port: values.port } : {}) },
          io,
          io.signal ?? processSignal(),
        );
      case 'audit': {
        const f = values as Record<string, string | undefined>;
        const pick = (k: string) => (f[k] !== undefined ? { [k]: f[k] } : {});
        return await runAudit(
          rest,
          {
            ...pick('actor'),
            ...pick('action'),
            ...pick('resource'),
            ...pick('outcome'),
            ...pick('from'),
            ...pick('to'),
            ...pick('after'),
            ...pick('limit'),
          },
          io,
        );
      }
      case 'prune':
        return await runPrune(rest, io);
      case 'keys':
        return await runKeys(rest, { ...(values.batch !== undefined ? { batch: values.batch } : {}) }, io);
      case 'report': {
        const f = values as Record<string, string | undefined>;
        const pick = (k: string) => (f[k] !== undefined ? { [k]: f[k] } : {});
        return await runReport(
          rest,
          { ...pick('site'), ...pick('from'), ...pick('to'), ...(values.json ? { json: true } : {}) },
          io,
        );
      }
      case 'alerts':
        return await runAlerts(
          rest,
          {
            ...(values.limit !== undefined ? { limit: values.limit } : {}),
            ...(values.all ? { all: true } : {}),
            ...(values.json ? { json: true } : {}),
          },
          io,
        );
      case 'status':
        return await runStatus(rest, { json: values.json ?? false }, io);
      case 'dead-letters':
      case 'records': {
        const f = values as Record<string, string | undefined>;
        const pick = (k: string) => (f[k] !== undefined ? { [k]: f[k] } : {});
        const adminFlags = {
          ...pick('partner'),
          ...pick('site'),
          ...pick('reason'),
          ...pick('from'),
          ...pick('to'),
          ...pick('limit'),
          ...pick('state'),
          ...pick('nhs-number'),
          ...pick('correlation-id'),
          ...pick('referral-id'),
          ...(values.remap ? { remap: true } : {}),
        };
        return command === 'records'
          ? await runRecords(rest, adminFlags, io)
          : await runDeadLetters(rest, adminFlags, io);
      }
      default:
        throw new UsageError(`unknown command '${command}'`, ['see `navbridge help`']);
    }
  } catch (err) {
    const { message, detail } = describeError(err);
    io.stderr.write(`navbridge: ${message}\n${detail.map((d) => `  ${d}\n`).join('')}`);
    return exitCodeOf(err);
  }
}
