// The `navbridge` CLI: `main(argv, io)` parses the command line, runs a command and returns the exit
// code (0 ok, 1 rejected/invalid/failed, 2 usage or file error). Never prints a stack trace.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../config/load-config.js';
import { PACKAGE_ROOT, packageVersion } from '../config/package-info.js';
import { didYouMean } from '../mapping/names.js';
import { runAlerts, runAudit, runDeadLetters, runRecords, runReport, runStatus } from './commands-admin.js';
import { runHashKey } from './commands-auth.js';
import { runKeys, runPrune } from './commands-keys.js';
import { runMappingsCheck, runMappingsTest } from './commands-mappings.js';
import { runMap, runValidate } from './commands-records.js';
import { runMigrate, runServe, runStart, runWorker } from './commands-run.js';
import { runSubmit } from './commands-submit.js';
import { type CliFlags, type CliIo, describeError, EXIT, exitCodeOf, UsageError } from './io.js';
import { COMMAND_HELP, EXIT_CODES_HELP, USAGE } from './usage.js';

export { USAGE } from './usage.js';

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
  version: { type: 'boolean', short: 'V' },
} as const;

function helpOf(command: string): string {
  const help = COMMAND_HELP[command];
  if (help === undefined)
    throw new UsageError(`unknown command '${command}'${didYouMean(command, Object.keys(COMMAND_HELP))}`, [
      'see `navbridge help`',
    ]);
  return help;
}

/** Commands made of subcommands: a missing or unknown one is a usage error before any config is read. */
const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  mappings: ['test', 'check'],
  'dead-letters': ['list', 'show', 'replay', 'discard'],
  records: ['list', 'remap'],
  audit: ['list', 'export', 'verify'],
  keys: ['generate', 'status', 'rotate'],
  report: ['kpi'],
  alerts: ['list'],
};

function assertSubcommand(command: string, sub: string | undefined): void {
  const subs = SUBCOMMANDS[command];
  if (!subs || (sub !== undefined && subs.includes(sub))) return;
  const what = sub === undefined ? `'${command}' needs a subcommand` : `unknown command '${command} ${sub}'`;
  throw new UsageError(`${what}${sub ? didYouMean(sub, subs) : ''}`, [
    `use ${subs.map((s) => `\`${command} ${s}\``).join(', ')}`,
    `see \`navbridge ${command} --help\``,
  ]);
}

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
    if (values.version) {
      io.stdout.write(`navbridge ${packageVersion()}\n`);
      return EXIT.ok;
    }
    // Help and subcommand checks come before anything reads the environment or the configuration.
    if (values.help || command === 'help') {
      const about = command === 'help' ? rest[0] : command;
      if (about === undefined) io.stdout.write(USAGE);
      else io.stdout.write(`${helpOf(about)}\n\n${EXIT_CODES_HELP}\n`);
      return EXIT.ok;
    }
    if (command === undefined) {
      io.stderr.write(USAGE);
      return EXIT.usage;
    }
    assertSubcommand(command, rest[0]);
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
