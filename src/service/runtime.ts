// The composition root of a navbridge process (serve, worker, start, and the commands that use the
// store): environment, configuration, secrets, every mapping and profile (loaded and compiled now,
// so a broken file fails at start-up), PostgreSQL (migrated), Redis and the queues, the service.
import path from 'node:path';
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { type LoadedConfig, loadAppConfig, loadSecrets, readEnvironment } from '../config/load-config.js';
import { loadMappingSet, loadProfiles } from '../config/startup.js';
import { loadTlsMaterial, type TlsMaterial } from '../config/tls.js';
import { type AlertWorkers, startAlertWorkers } from '../delivery/alerts.js';
import { queueBoardAdapters } from '../delivery/queue-board.js';
import { createQueues, type QueueSet } from '../delivery/queues.js';
import { type FallbackRateStore, redisRateStore } from '../delivery/rate-store.js';
import {
  closeRedis,
  connectRedis,
  pingRedis,
  RedisUnavailableError,
  withTimeout,
  workerConnection,
} from '../delivery/redis.js';
import { type DeliveryWorkers, startDeliveryWorkers } from '../delivery/worker.js';
import { createLogger, type Logger } from '../logging/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { type Env, type EnvSettings, redactUrl, type Secrets } from '../settings/env.js';
import { closeDb, type Db, migrate, openDb, pingDb } from '../store/db.js';
import type { QueueJob } from '../store/exchanges.js';
import { type KeyProvider, localKeyProvider } from '../store/sealing.js';
import { adminDigest, createAuthenticator, isAdminToken } from './authenticate.js';
import { type Operations, registerOperationalGauges } from './metrics.js';
import { createNavbridge, type Navbridge } from './navbridge.js';

/** Each step of closing after the workers (queues, the pool) waits this long at the most. */
export const CLOSE_STEP_TIMEOUT_MS = 2_000;

/** How long a request waits for Redis to take its jobs before answering anyway. */
export const ENQUEUE_TIMEOUT_MS = 2_000;

/** A dependency that is not there at start-up: a one-line message and how to fix it. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    readonly detail: string[] = [],
  ) {
    super(message);
  }
}

export interface RuntimeOptions {
  env: Env;
  cwd: string;
  /** Connect to Redis and the partners' queues (everything that queues or delivers). */
  redis: boolean;
  /** Which secrets must be present: the person key (storing records), partner credentials (delivering). */
  needs: { personKey: boolean; partnerAuth: boolean };
  /** The logger (default: pino at LOG_LEVEL, JSON on stderr). */
  logger?: Logger;
}

export interface Runtime {
  readonly config: LoadedConfig;
  readonly env: EnvSettings;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly navbridge: Navbridge;
  /** The process's Prometheus metrics (default process metrics, its own counters, the shared gauges). */
  readonly metrics: Metrics;
  /** The partners' queues for bull-board, and whether Redis is connected (opened with `redis`). */
  readonly queueBoard: { adapters: BaseAdapter[]; available(): boolean } | undefined;
  /** Whether a presented admin token is the configured one (CLI admin commands). */
  isAdminToken(token: string): boolean;
  /** Starts the delivery workers for every partner (needs `redis`). */
  startWorkers(): DeliveryWorkers;
  /** Starts the watchdog's job scheduler and worker, and the alert webhook's sender (needs `redis`). */
  startAlerts(): Promise<AlertWorkers>;
  /** The TLS certificate, key and client CAs when navbridge terminates TLS itself (`http.tls`). */
  readonly tls: TlsMaterial | undefined;
  /** Rate-limit counters in Redis, shared by every API process (opened with `redis`; in memory while it is down). */
  readonly rateStores: ((name: string) => FallbackRateStore) | undefined;
  close(): Promise<void>;
}

/** Migrations run as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL) and create the app role. */
const migrateAsOwner = (env: EnvSettings) =>
  migrate({
    databaseUrl: env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL,
    role: env.NAVBRIDGE_DB_ROLE,
    ...(env.NAVBRIDGE_DB_SCHEMA ? { schema: env.NAVBRIDGE_DB_SCHEMA } : {}),
  });

/** The master keys from the environment as a key provider (a KMS-backed one would be built here). */
export function keyProviderOf(secrets: Secrets): KeyProvider {
  const mk = secrets.masterKeys;
  if (!mk) throw new StartupError('no master keys: set NAVBRIDGE_MASTER_KEYS (README "Security")');
  const keys = Object.fromEntries(
    Object.entries(mk.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]),
  );
  return localKeyProvider(keys, mk.activeKeyId);
}

async function openDatabase(env: EnvSettings, keys: KeyProvider): Promise<Db> {
  const schema = env.NAVBRIDGE_DB_SCHEMA ? { schema: env.NAVBRIDGE_DB_SCHEMA } : {};
  const probe = openDb({ databaseUrl: env.DATABASE_URL, max: 1, ...schema, keys });
  const reachable = await pingDb(probe);
  await closeDb(probe);
  if (!reachable)
    throw new StartupError(`PostgreSQL is not reachable at ${redactUrl(env.DATABASE_URL)}`, [
      'start it (pg_ctlcluster <version> main start) or set DATABASE_URL',
    ]);
  await migrateAsOwner(env).catch((err: unknown) => {
    // SQLSTATE 42501: the migrating user may not create or alter what the migrations need.
    if ((err as { code?: unknown } | null)?.code === '42501')
      throw new StartupError('the database refused the migrations: they must run as the owner role', [
        'set MIGRATION_DATABASE_URL to the owner role’s connection (DATABASE_URL may be the application’s login)',
      ]);
    throw err;
  });
  // The application acts as the least-privilege role: it cannot alter or erase the audit trail.
  const db = openDb({
    databaseUrl: env.DATABASE_URL,
    role: env.NAVBRIDGE_DB_ROLE,
    max: env.DATABASE_POOL_MAX,
    checkoutTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
    preparedStatements: env.DATABASE_PREPARED_STATEMENTS === 'on',
    ...schema,
    keys,
  });
  if (!(await pingDb(db))) {
    await closeDb(db);
    throw new StartupError(`PostgreSQL refused the application role ${env.NAVBRIDGE_DB_ROLE}`, [
      'connect DATABASE_URL as that role, or as a member of it (GRANT navbridge_app TO <user>), or set NAVBRIDGE_DB_ROLE',
    ]);
  }
  return db;
}

/** Applies pending migrations only (`navbridge migrate`). */
export async function migrateDatabase(rawEnv: Env): Promise<string[]> {
  const env = readEnvironment(rawEnv);
  const url = env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL;
  return migrateAsOwner(env).catch(() => {
    throw new StartupError(`PostgreSQL is not reachable at ${redactUrl(url)}`, [
      'start it or set MIGRATION_DATABASE_URL (or DATABASE_URL)',
    ]);
  });
}

export async function openRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const env = readEnvironment(opts.env);
  const config = loadAppConfig(env, opts.cwd);
  const secrets = loadSecrets(opts.env, config, { ...opts.needs, masterKeys: true });
  // The worker sends the alert webhook: its secret must be there before anything starts.
  const webhookSecret = config.alerts.webhook ? opts.env[config.alerts.webhook.secretEnv] : undefined;
  if (config.alerts.webhook && opts.needs.partnerAuth && (webhookSecret ?? '').length < 16)
    throw new StartupError(
      `alerts.webhook: environment variable ${config.alerts.webhook.secretEnv} must hold the webhook secret (at least 16 characters)`,
    );
  const inboundNames = config.partners.flatMap((p) => (p.inbound ? [p.inbound.mapping] : []));
  const mappings = loadMappingSet(config.mappingsDirAbs, config.sites, inboundNames);
  const { validator } = loadProfiles(config.profilesDirAbs);
  const logger = opts.logger ?? createLogger(env.LOG_LEVEL);

  const tls = config.http.tls ? loadTlsMaterial(config.http.tls, path.dirname(config.file)) : undefined;
  const db = await openDatabase(env, keyProviderOf(secrets));
  let queues: QueueSet | undefined;
  let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
  if (opts.redis) {
    try {
      redis = await connectRedis(env.REDIS_URL, logger);
    } catch (err) {
      await closeDb(db);
      if (err instanceof RedisUnavailableError)
        throw new StartupError(err.message, ['start redis-server or set REDIS_URL']);
      throw err;
    }
    queues = createQueues(
      redis,
      config.worker.queuePrefix,
      config.partners.map((p) => p.id),
    );
  }
  const noQueues = async (): Promise<never> => {
    throw new Error('this command has no queues (opened without Redis)');
  };
  // After commit the jobs are a hint: Redis down must not hold the answer (the exchanges are stored,
  // and the sweeper queues them when Redis is back).
  const enqueue = async (jobs: readonly QueueJob[]): Promise<void> => {
    if (!queues) return jobs.length ? noQueues() : undefined;
    if (!jobs.length) return;
    // Redis known to be down: do not queue the call in ioredis for the outage, answer now.
    if (redis && redis.status !== 'ready') {
      logger.warn(
        { event: 'enqueue-deferred', jobs: jobs.length, redis: redis.status },
        'Redis is not connected: the sweeper will queue the jobs',
      );
      return;
    }
    await withTimeout(queues.enqueue(jobs), ENQUEUE_TIMEOUT_MS, 'enqueue').catch((err: unknown) =>
      logger.warn(
        { event: 'enqueue-deferred', jobs: jobs.length, err },
        'Redis did not take the jobs: the sweeper will',
      ),
    );
  };
  const metrics = createMetrics();
  const now = () => new Date();
  const ops: Operations = registerOperationalGauges(metrics, {
    db,
    partners: config.partners,
    ...(queues ? { queues } : {}),
    mappings,
    now,
  });
  const navbridge = createNavbridge({
    db,
    mappings,
    validator,
    partners: config.partners,
    alerts: config.alerts,
    personKey: secrets.personKey ?? '',
    enqueue,
    now,
    authenticate: createAuthenticator({ config, secrets, db, now }),
    pingRedis: () => (redis ? pingRedis(redis) : Promise.resolve(false)),
    operations: ops,
    ...(config.playground.enabled ? { playground: { mappingsDir: config.mappingsDirAbs } } : {}),
  });
  const workers: DeliveryWorkers[] = [];
  const alertWorkers: AlertWorkers[] = [];
  return {
    config,
    env,
    logger,
    secrets,
    navbridge,
    metrics,
    queueBoard:
      queues && redis
        ? {
            adapters: queueBoardAdapters(
              queues,
              config.partners.map((p) => p.id),
            ),
            available: () => redis.status === 'ready',
          }
        : undefined,
    isAdminToken: (token) =>
      isAdminToken(adminDigest(config.secrets.adminTokenSha256, secrets.adminToken), token),
    tls,
    rateStores: redis ? (name) => redisRateStore(redis, config.worker.queuePrefix, name) : undefined,
    startWorkers() {
      if (!queues) throw new Error('the delivery workers need Redis');
      const w = startDeliveryWorkers({
        db,
        connect: () => workerConnection(env.REDIS_URL, logger),
        queues,
        partners: config.partners,
        partnerAuth: secrets.partnerAuth,
        logger,
        prefix: config.worker.queuePrefix,
        leaseMs: config.worker.leaseMs,
        sweepIntervalMs: config.worker.sweepIntervalMs,
        requeueAfterMs: config.worker.requeueAfterMs,
        retention: config.retention,
        metrics,
      });
      workers.push(w);
      return w;
    },
    async startAlerts() {
      if (!redis) throw new Error('the watchdog needs Redis');
      const hook = config.alerts.webhook;
      const a = await startAlertWorkers({
        db,
        connection: redis,
        connect: () => workerConnection(env.REDIS_URL, logger),
        prefix: config.worker.queuePrefix,
        intervalMs: config.alerts.intervalMs,
        run: async () => (await navbridge.runWatchdog()).transitions,
        ...(hook && webhookSecret
          ? {
              webhook: {
                url: hook.url,
                secret: webhookSecret,
                timeoutMs: hook.timeoutMs,
                maxAttempts: hook.maxAttempts,
              },
            }
          : {}),
        logger,
      });
      alertWorkers.push(a);
      return a;
    },
    /** Bounded whatever is down: workers (SHUTDOWN_GRACE_MS), then queues, Redis and the pool. */
    async close() {
      for (const a of alertWorkers.splice(0)) await a.close();
      for (const w of workers.splice(0)) await w.close();
      const bounded = (p: Promise<unknown>, what: string) =>
        withTimeout(p, CLOSE_STEP_TIMEOUT_MS, what).catch((err: unknown) =>
          logger.warn({ event: 'shutdown-step-abandoned', err }, `${what} did not close in time`),
        );
      if (queues) await bounded(queues.close(), 'queues');
      if (redis) await closeRedis(redis);
      await bounded(closeDb(db), 'PostgreSQL pool');
    },
  };
}
