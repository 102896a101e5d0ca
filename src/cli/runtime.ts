// Wiring for the commands that use services: configuration, PostgreSQL (migrated on start-up), Redis,
// queues, validator and the navigator service. Entry points only wire; the layers do the work.
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import {
  databaseUrl,
  type LoadedConfig,
  loadAppConfig,
  redisUrl,
  requireSecret,
} from '../config/load-app-config.js';
import { loadConformance } from '../config/profiles.js';
import { createQueues, type QueueSet } from '../delivery/queues.js';
import { createValidator, type Validator } from '../fhir/validate.js';
import { NavigatorService } from '../service/submit.js';
import { createDb, type Db, migrate } from '../store/db.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

export const PERSON_KEY_MIN_LENGTH = 16;

export interface Runtime {
  config: LoadedConfig;
  db: Db;
  logger: Logger;
  redis?: Redis;
  queues?: QueueSet;
  connectRedis(): Redis;
  service(): NavigatorService;
  /** The profile validator (loaded once, shared with the service). */
  validator(): Validator;
  close(): Promise<void>;
}

async function checkPostgres(db: Db, url: string): Promise<void> {
  try {
    await db.query('SELECT 1');
  } catch {
    const where = url.replace(/\/\/[^@]*@/, '//');
    throw new UsageError(`PostgreSQL is not reachable at ${where}`, [
      'start it (pg_ctlcluster <version> main start) or set DATABASE_URL',
    ]);
  }
}

async function checkRedis(redis: Redis, url: string, logger: Logger): Promise<void> {
  try {
    await redis.ping();
  } catch {
    throw new UsageError(`Redis is not reachable at ${url}`, ['start redis-server or set REDIS_URL']);
  }
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') {
      logger.warn(
        { event: 'redis-eviction-policy', policy },
        'Redis maxmemory-policy is not noeviction: queued jobs could be evicted (the sweeper would re-queue them)',
      );
    }
  } catch {
    // CONFIG may be disabled on managed Redis; nothing to check then.
  }
}

export async function openRuntime(io: CliIo, opts: { redis: boolean }): Promise<Runtime> {
  const config = loadAppConfig(io.env, io.cwd);
  const logger = pino({ level: io.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const dbUrl = databaseUrl(io.env);
  // NAVBRIDGE_DB_SCHEMA: navbridge's tables in another schema than `public` (tests run worker
  // processes against a schema of their own); the pool and the migrations use the same one.
  const schema = io.env.NAVBRIDGE_DB_SCHEMA ? { schema: io.env.NAVBRIDGE_DB_SCHEMA } : {};
  const db = createDb({ databaseUrl: dbUrl, ...schema });
  try {
    await checkPostgres(db, dbUrl);
    await migrate({ databaseUrl: dbUrl, ...schema });
  } catch (err) {
    await db.end();
    throw err;
  }
  const rUrl = redisUrl(io.env);
  // ioredis prints unhandled 'error' events with stacks; report a lost connection once per outage.
  const quiet = (r: Redis): Redis => {
    let down = false;
    r.on('error', (err: Error) => {
      if (!down)
        logger.warn({ event: 'redis-unavailable', err: err.name }, 'Redis connection lost; retrying');
      down = true;
    });
    r.on('ready', () => {
      down = false;
    });
    return r;
  };
  const connectRedis = () =>
    quiet(
      new Redis(rUrl, {
        maxRetriesPerRequest: null,
        connectTimeout: 3_000,
        retryStrategy: (n) => Math.min(n * 200, 2_000),
      }),
    );
  let redis: Redis | undefined;
  let queues: QueueSet | undefined;
  if (opts.redis) {
    redis = quiet(
      new Redis(rUrl, {
        maxRetriesPerRequest: 1,
        connectTimeout: 3_000,
        lazyConnect: true,
        retryStrategy: () => null,
      }),
    );
    try {
      await redis.connect();
      await checkRedis(redis, rUrl, logger);
    } catch (err) {
      redis.disconnect();
      await db.end();
      throw err instanceof UsageError
        ? err
        : new UsageError(`Redis is not reachable at ${rUrl}`, ['start redis-server or set REDIS_URL']);
    }
    redis.options.maxRetriesPerRequest = null;
    redis.options.retryStrategy = (n) => Math.min(n * 200, 2_000);
    queues = createQueues(
      redis,
      config.worker.queuePrefix,
      config.partners.map((p) => p.id),
    );
  }
  let service: NavigatorService | undefined;
  let validator: Validator | undefined;
  const getValidator = () => {
    validator ??= createValidator(loadConformance(config.profilesDirAbs));
    return validator;
  };
  return {
    config,
    db,
    logger,
    ...(redis ? { redis } : {}),
    ...(queues ? { queues } : {}),
    connectRedis,
    service() {
      if (!queues) throw new Error('the navigator service needs the queues');
      if (!service) {
        const q = queues;
        service = new NavigatorService({
          db,
          mappingsDir: config.mappingsDirAbs,
          enabledSites: config.sites,
          partners: config.partners,
          validator: getValidator(),
          personKeySecret: requireSecret(
            io.env,
            config.secrets.personKeyEnv,
            'person matching key',
            PERSON_KEY_MIN_LENGTH,
          ),
          enqueue: (jobs) => q.enqueue(jobs),
          now: () => new Date(),
        });
      }
      return service;
    },
    validator: getValidator,
    async close() {
      await queues?.close();
      await redis?.quit().catch(() => redis?.disconnect());
      await db.end();
    },
  };
}
