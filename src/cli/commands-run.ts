// Long-running processes and the database: `migrate`, `serve` (the HTTP API), `worker` (delivery)
// and `start` (both in one process). They only wire the service runtime to a port or to signals.
import type { Server } from 'node:http';
import { buildApp } from '../api/app.js';
import { listen } from '../api/server.js';
import { migrateDatabase, openRuntime } from '../service/runtime.js';
import { type CliIo, EXIT, UsageError } from './io.js';

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

/** Runs until SIGTERM/SIGINT: stops taking jobs, finishes in-flight deliveries, closes connections. */
export async function runWorker(io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: false, partnerAuth: true },
  });
  const workers = rt.startWorkers();
  await rt.startAlerts();
  rt.logger.info(
    { event: 'worker-started', partners: rt.config.partners.map((p) => p.id) },
    'worker started',
  );
  await workers.sweep();
  // A supervisor (or a test) may wait for this line: the workers are connected and taking jobs.
  rt.logger.info({ event: 'worker-ready' }, 'worker ready: taking jobs');
  await untilAborted(signal);
  rt.logger.info({ event: 'worker-stopping' }, 'stopping: finishing in-flight deliveries');
  await rt.close();
  return EXIT.ok;
}

function portOf(flags: RunFlags, envPort: number): number {
  if (flags.port === undefined) return envPort;
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError('--port must be a port number');
  return port;
}

export async function runServe(flags: RunFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: true, partnerAuth: false },
  });
  const app = buildApp({
    navbridge: rt.navbridge,
    publicBaseUrl: rt.config.publicBaseUrl,
    logger: rt.logger,
    http: rt.config.http,
    ...(rt.rateStores ? { rateStores: rt.rateStores } : {}),
  });
  const port = portOf(flags, rt.env.PORT);
  let server: Server;
  try {
    server = await listen(app, port, {
      ...(rt.tls ? { tls: rt.tls } : {}),
      timeouts: rt.config.http.timeouts,
    });
  } catch (err) {
    await rt.close();
    throw err;
  }
  rt.logger.info({ event: 'listening', port, tls: rt.tls !== undefined }, 'navbridge API listening');
  await untilAborted(signal);
  // Stop taking connections; idle keep-alives go now, requests in progress get a grace period.
  const closed = new Promise((r) => server.close(r));
  server.closeIdleConnections();
  const grace = setTimeout(() => server.closeAllConnections(), SERVE_SHUTDOWN_GRACE_MS);
  grace.unref();
  await closed;
  clearTimeout(grace);
  await rt.close();
  return EXIT.ok;
}

/** Requests still running at SIGTERM get this long before their connections are closed. */
export const SERVE_SHUTDOWN_GRACE_MS = 5_000;

/** `navbridge start`: the API and a delivery worker in one process, stopped together. */
export async function runStart(flags: RunFlags, io: CliIo, signal: AbortSignal): Promise<number> {
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
