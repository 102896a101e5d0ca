// Commands that use the message store and queues: migrate, submit, worker, serve, dead-letters.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../api/app.js';
import { assertPartnerSecrets, databaseUrl, loadAppConfig } from '../config/load-app-config.js';
import { startDeliveryWorkers } from '../delivery/worker.js';
import { isNavbridgeError } from '../errors/index.js';
import { migrate } from '../store/db.js';
import {
  type DeadLetterFilter,
  discardDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  showExchange,
} from '../store/dead-letters.js';
import { getExchange } from '../store/exchanges.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { readInputs } from './pipeline.js';
import { openRuntime } from './runtime.js';

const RECORD_TYPES = ['referral', 'assessment', 'support-plan', 'event'] as const;
type RecordType = (typeof RECORD_TYPES)[number];

export interface DeliveryFlags {
  remap?: boolean;
  site?: string;
  partner?: string;
  reason?: string;
  from?: string;
  to?: string;
  limit?: string;
  port?: string;
}

export async function runMigrate(io: CliIo): Promise<number> {
  // The same schema as every other command (openRuntime): NAVBRIDGE_DB_SCHEMA, else public.
  const schema = io.env.NAVBRIDGE_DB_SCHEMA ? { schema: io.env.NAVBRIDGE_DB_SCHEMA } : {};
  const ran = await migrate({ databaseUrl: databaseUrl(io.env), ...schema }).catch(() => {
    throw new UsageError('PostgreSQL is not reachable', ['start it or set DATABASE_URL']);
  });
  io.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database is up to date\n');
  return EXIT.ok;
}

export async function runSubmit(args: string[], flags: DeliveryFlags, io: CliIo): Promise<number> {
  const [recordType, file, ...extra] = args;
  if (!recordType || !file || extra.length)
    throw new UsageError('usage: navbridge submit <record-type> <file.json|file.csv> [--site S]');
  if (!RECORD_TYPES.includes(recordType as RecordType))
    throw new UsageError(`unknown record type '${recordType}'`, [`one of: ${RECORD_TYPES.join(', ')}`]);
  let text: string;
  try {
    text = readFileSync(path.resolve(io.cwd, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const inputs = readInputs(recordType as RecordType, file, text);
  const rt = await openRuntime(io, { redis: true });
  let failed = 0;
  try {
    const service = rt.service();
    for (const raw of inputs) {
      try {
        if (raw.input === undefined)
          throw new UsageError(
            `row ${raw.row}: unreadable`,
            raw.issues.map((i) => i.diagnostics ?? ''),
          );
        const result = await service.submit(
          recordType as RecordType,
          raw.input,
          flags.site ? { site: flags.site } : {},
        );
        io.stdout.write(`${JSON.stringify({ ...(raw.row ? { row: raw.row } : {}), ...result })}\n`);
      } catch (err) {
        if (!isNavbridgeError(err)) throw err;
        failed += 1;
        io.stderr.write(
          `${JSON.stringify({ ...(raw.row ? { row: raw.row } : {}), code: err.code, outcome: err.outcome })}\n`,
        );
      }
    }
  } finally {
    await rt.close();
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/** Runs until SIGTERM/SIGINT: stops taking jobs, finishes in-flight deliveries, closes connections. */
export async function runWorker(io: CliIo, signal: AbortSignal): Promise<number> {
  assertPartnerSecrets(loadAppConfig(io.env, io.cwd), io.env);
  const rt = await openRuntime(io, { redis: true });
  const workers = startDeliveryWorkers({
    db: rt.db,
    connect: rt.connectRedis,
    queues: rt.queues!,
    partners: rt.config.partners,
    env: io.env,
    logger: rt.logger,
    prefix: rt.config.worker.queuePrefix,
    leaseMs: rt.config.worker.leaseMs,
    sweepIntervalMs: rt.config.worker.sweepIntervalMs,
    requeueAfterMs: rt.config.worker.requeueAfterMs,
  });
  rt.logger.info(
    { event: 'worker-started', partners: rt.config.partners.map((p) => p.id) },
    'worker started',
  );
  await workers.sweep();
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  rt.logger.info({ event: 'worker-stopping' }, 'stopping: finishing in-flight deliveries');
  await workers.close();
  await rt.close();
  return EXIT.ok;
}

export async function runServe(flags: DeliveryFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime(io, { redis: true });
  const app = buildApp({
    db: rt.db,
    redis: rt.redis!,
    logger: rt.logger,
    ...(io.env[rt.config.secrets.adminTokenEnv]
      ? { adminToken: io.env[rt.config.secrets.adminTokenEnv] }
      : {}),
    enqueue: (jobs) => rt.queues!.enqueue(jobs),
    remap: (x) => rt.service().remapExchange(x),
    config: rt.config,
    env: io.env,
    service: rt.service(),
    validator: rt.validator(),
    now: () => new Date(),
  });
  const port = Number(flags.port ?? io.env.PORT ?? 8080);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, () => resolve(s));
  });
  rt.logger.info({ event: 'listening', port }, 'navbridge API listening');
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise((r) => server.close(r));
  await rt.close();
  return EXIT.ok;
}

function filterFrom(flags: DeliveryFlags): DeadLetterFilter {
  const date = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be a date or instant`);
    return d;
  };
  const from = date(flags.from, 'from');
  const to = date(flags.to, 'to');
  return {
    ...(flags.partner ? { partnerId: flags.partner } : {}),
    ...(flags.site ? { site: flags.site } : {}),
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(flags.limit ? { limit: Number(flags.limit) } : {}),
  };
}

/** dead-letters list|show|replay|discard — admin operations: the admin credential must be present. */
export async function runDeadLetters(args: string[], flags: DeliveryFlags, io: CliIo): Promise<number> {
  const [sub, id, ...rest] = args;
  const cfg = loadAppConfig(io.env, io.cwd);
  if (!io.env[cfg.secrets.adminTokenEnv]) {
    throw new UsageError(`dead-letters needs the admin credential: set ${cfg.secrets.adminTokenEnv}`);
  }
  const actor = `cli:${os.userInfo().username}`;
  const rt = await openRuntime(io, { redis: sub === 'replay' || sub === 'discard' });
  try {
    switch (sub) {
      case 'list': {
        for (const d of await listDeadLetters(rt.db, filterFrom(flags)))
          io.stdout.write(`${JSON.stringify(d)}\n`);
        return EXIT.ok;
      }
      case 'show': {
        if (!id) throw new UsageError('usage: navbridge dead-letters show <exchange-id>');
        const x = await showExchange(rt.db, id, actor);
        if (!x) throw new UsageError(`no exchange ${id}`);
        const { queueToken: _q, claimToken: _c, ...visible } = x;
        io.stdout.write(`${JSON.stringify(visible, null, 2)}\n`);
        return EXIT.ok;
      }
      case 'replay': {
        const ids = id ? [id] : (await listDeadLetters(rt.db, filterFrom(flags))).map((d) => d.id);
        for (const one of ids) {
          let opts = {};
          if (flags.remap) {
            const x = await getExchange(rt.db, one);
            if (x) opts = await rt.service().remapExchange(x);
          }
          await rt.queues!.enqueue(await replayDeadLetter(rt.db, one, actor, opts));
          io.stdout.write(`replayed ${one}\n`);
        }
        return EXIT.ok;
      }
      case 'discard': {
        const reason = rest.join(' ') || flags.reason;
        if (!id || !reason)
          throw new UsageError('usage: navbridge dead-letters discard <exchange-id> --reason TEXT');
        await rt.queues!.enqueue(await discardDeadLetter(rt.db, id, actor, reason));
        io.stdout.write(`discarded ${id}\n`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command 'dead-letters ${sub ?? ''}'`.trim(), [
          'use list, show, replay or discard',
        ]);
    }
  } finally {
    await rt.close();
  }
}

/** `navbridge start` (npm start): the API and a delivery worker in one process, stopped together. */
export async function runStart(flags: DeliveryFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const both = new AbortController();
  const stop = () => both.abort();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  const guard = (p: Promise<number>) =>
    p.catch((err) => {
      stop();
      throw err;
    });
  const [serve, worker] = await Promise.all([
    guard(runServe(flags, io, both.signal)),
    guard(runWorker(io, both.signal)),
  ]);
  return Math.max(serve, worker);
}
