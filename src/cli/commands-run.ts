// Long-running processes and the database: `migrate`, `serve` (the HTTP API), `worker` (delivery)
// and `start` (both in one process). They only wire the service runtime to a port or to signals.
import { buildApp } from '../api/app.js';
import { closeProbes, listenProbes } from '../api/metrics-server.js';
import { listen } from '../api/server.js';
import { migrateDatabase, openRuntime, type Runtime } from '../service/runtime.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { v8Settled } from './v8-memory.js';

export interface RunFlags {
  port?: string;
}

const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });

export async function runMigrate(io: CliIo): Promise<number> {
  const ran = await migrateDatabase(io.env);
  io.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database is up to date\n');
  return EXIT.ok;
}

/** A process's delivery workers, as its readiness reports them (none for `serve`). */
type WorkerState = { ready: boolean } | undefined;

/** The probe and metrics port (METRICS_PORT), when set: closed by the returned function. */
async function probesFor(rt: Runtime, worker: WorkerState): Promise<() => Promise<void>> {
  const port = rt.env.METRICS_PORT;
  if (port === undefined) return async () => {};
  const server = await listenProbes(
    {
      metrics: rt.metrics,
      async ready() {
        const { ready: dependencies, ...checks } = await rt.navbridge.readiness();
        const ready = dependencies && (worker?.ready ?? true);
        const body = {
          status: ready ? 'ready' : 'not-ready',
          ...checks,
          ...(worker ? { worker: worker.ready ? 'ready' : 'not-taking-jobs' } : {}),
        };
        return { ready, body };
      },
    },
    port,
    rt.env.METRICS_HOST,
  );
  rt.logger.info(
    { event: 'probes-listening', port, host: rt.env.METRICS_HOST },
    'metrics and probes listening',
  );
  return () => closeProbes(server);
}

/** Delivery on an open runtime until the signal: stops taking jobs, finishes in-flight deliveries. */
async function workOn(rt: Runtime, signal: AbortSignal, state: { ready: boolean }): Promise<void> {
  const workers = rt.startWorkers();
  await rt.startAlerts();
  rt.logger.info(
    { event: 'worker-started', partners: rt.config.partners.map((p) => p.id) },
    'worker started',
  );
  await workers.sweep();
  state.ready = true;
  // A supervisor (or a test) may wait for this line: the workers are connected and taking jobs.
  rt.logger.info({ event: 'worker-ready' }, 'worker ready: taking jobs');
  await untilAborted(signal);
  state.ready = false;
  // Before anything else closes (the watchdog's workers take a while): from this line on, no new job.
  workers.stopTaking();
  rt.logger.info({ event: 'worker-stopping' }, 'stopping: finishing in-flight deliveries');
}

/** Runs until SIGTERM/SIGINT: stops taking jobs, finishes in-flight deliveries, closes connections. */
export async function runWorker(io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: false, partnerAuth: true },
  });
  const state = { ready: false };
  v8Settled();
  try {
    const closeProbesPort = await probesFor(rt, state);
    try {
      await workOn(rt, signal, state);
    } finally {
      await closeProbesPort();
    }
  } finally {
    await rt.close();
  }
  return EXIT.ok;
}

function portOf(flags: RunFlags, envPort: number): number {
  if (flags.port === undefined) return envPort;
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError('--port must be a port number');
  return port;
}

/** The mapping examples through the pipeline before the API listens (`http.intake.warmUpMs`). */
async function warmUpApi(rt: Runtime): Promise<void> {
  const budgetMs = rt.config.http.intake.warmUpMs;
  if (budgetMs === 0) return;
  const w = await rt.navbridge.warmUp({ mappingsDir: rt.config.mappingsDirAbs, budgetMs });
  rt.logger.info({ event: 'warmed-up', ...w }, 'navbridge API warmed up');
}

/** The HTTP API on an open runtime until the signal, then a bounded drain of its connections. */
async function serveOn(rt: Runtime, flags: RunFlags, signal: AbortSignal): Promise<void> {
  const app = buildApp({
    navbridge: rt.navbridge,
    publicBaseUrl: rt.config.publicBaseUrl,
    logger: rt.logger,
    http: rt.config.http,
    metrics: rt.metrics,
    ...(rt.queueBoard ? { queueBoard: rt.queueBoard } : {}),
    ...(rt.rateStores ? { rateStores: rt.rateStores } : {}),
  });
  const port = portOf(flags, rt.env.PORT);
  const server = await listen(app, port, {
    ...(rt.tls ? { tls: rt.tls } : {}),
    timeouts: rt.config.http.timeouts,
  });
  rt.logger.info({ event: 'listening', port, tls: rt.tls !== undefined }, 'navbridge API listening');
  await untilAborted(signal);
  // Stop taking connections; idle keep-alives go now, requests in progress get a grace period.
  const closed = new Promise((r) => server.close(r));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), SERVE_SHUTDOWN_GRACE_MS);
  grace.unref();
  await closed;
  clearTimeout(grace);
}

export async function runServe(flags: RunFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: true, partnerAuth: false },
  });
  v8Settled();
  try {
    await warmUpApi(rt);
    const closeProbesPort = await probesFor(rt, undefined);
    try {
      await serveOn(rt, flags, signal);
    } finally {
      await closeProbesPort();
    }
  } finally {
    await rt.close();
  }
  return EXIT.ok;
}

/** Requests still running at SIGTERM get this long before their connections are closed. */
export const SERVE_SHUTDOWN_GRACE_MS = 5_000;

/**
 * `navbridge start`: the API and a delivery worker in one process on one runtime (one pool, one
 * Redis connection, one metrics registry), stopped together; either failing stops both.
 */
export async function runStart(flags: RunFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: true, partnerAuth: true },
  });
  v8Settled();
  await warmUpApi(rt);
  const both = new AbortController();
  const stop = () => both.abort();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  const state = { ready: false };
  try {
    const closeProbesPort = await probesFor(rt, state);
    try {
      const guard = (p: Promise<void>) =>
        p.catch((err: unknown) => {
          stop();
          throw err;
        });
      const results = await Promise.allSettled([
        guard(serveOn(rt, flags, both.signal)),
        guard(workOn(rt, both.signal, state)),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      await closeProbesPort();
    }
  } finally {
    await rt.close();
  }
  return EXIT.ok;
}
