// The one test factory: builds navbridge as a process does (configuration parsed by the real schema,
// every mapping and profile loaded, the service, the express app) on a fresh PostgreSQL schema, with
// queue jobs either collected in memory or put on real BullMQ queues with real delivery workers.
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { buildApp } from '../../src/api/app.js';
import type { LoadedConfig } from '../../src/config/load-config.js';
import { loadMappingSet, loadProfiles, type MappingSet } from '../../src/config/startup.js';
import { createQueues, type QueueSet } from '../../src/delivery/queues.js';
import { redisRateStore } from '../../src/delivery/rate-store.js';
import { pingRedis } from '../../src/delivery/redis.js';
import { type DeliveryWorkers, startDeliveryWorkers, type WorkerOptions } from '../../src/delivery/worker.js';
import { createAuthenticator } from '../../src/service/authenticate.js';
import { createNavbridge, type Navbridge, type NavbridgeDeps } from '../../src/service/navbridge.js';
import type { Caller } from '../../src/service/types.js';
import { type AppConfig, appConfigSchema } from '../../src/settings/app-config.js';
import { type Env, readSecrets } from '../../src/settings/env.js';
import type { QueueJob } from '../../src/store/exchanges.js';
import { createTestDb, type TestDb } from './db.js';
import { connectRedis, deletePrefix, randomPrefix } from './redis.js';

export const TEST_PERSON_KEY = 'navbridge-test-person-key-0123456789';
export const TEST_ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const TEST_AUDIENCE = 'http://navbridge.test/fhir';
export const ADMIN: Caller = { kind: 'admin', actor: 'admin:test' };

export interface WorkerSettings {
  leaseMs?: number;
  sweepIntervalMs?: number;
  requeueAfterMs?: number;
  /** Run the retention job on this schedule (default: the workers of tests prune nothing). */
  retention?: WorkerOptions['retention'];
}

export interface TestNavbridgeOptions {
  /** Partner entries as in navbridge.config.yaml (defaults applied by the real schema). */
  partners?: unknown[];
  /** Any other configuration (sites default to leeds-north and cardiff-vale). */
  config?: Record<string, unknown>;
  /** The environment the secrets are read from (JWKS documents, partner tokens). */
  env?: Env;
  adminToken?: string;
  /** The service's clock: a fixed holder the test moves, or a function. */
  clock?: { now: Date } | (() => Date);
  /**
   * `memory` (default): jobs are collected in `jobs`, nothing is delivered. `queues`: real BullMQ
   * queues on the shared Redis with a random prefix; `workers` also starts delivery workers.
   */
  delivery?: 'memory' | 'queues' | 'workers';
  worker?: WorkerSettings;
  /** Another Redis (e.g. a private redis-server a test kills). */
  redisUrl?: string;
  /** Reuse a schema (default: a new one, dropped on close). */
  db?: TestDb;
  mappingsDir?: string;
  /** The app's logger (default: silent); a test of the logs passes one writing to a stream. */
  logger?: Logger;
}

export interface TestNavbridge {
  t: TestDb;
  config: LoadedConfig;
  mappings: MappingSet;
  deps: NavbridgeDeps;
  navbridge: Navbridge;
  app: Express;
  /** Jobs enqueued (memory delivery). */
  jobs: QueueJob[];
  queues?: QueueSet;
  workers?: DeliveryWorkers;
  redis?: Redis;
  prefix: string;
  /** (Re)starts delivery workers on the queues (delivery 'queues' or 'workers'). */
  startWorkers(settings?: WorkerSettings): DeliveryWorkers;
  close(): Promise<void>;
}

/** The shipped mappings, loaded once per test process; any other folder is loaded afresh (tests edit them). */
const mappingSets = new Map<string, MappingSet>();
function mappingSetFor(dir: string, config: AppConfig): MappingSet {
  const inbound = config.partners.flatMap((p) => (p.inbound ? [p.inbound.mapping] : []));
  if (dir !== 'mappings') return loadMappingSet(dir, config.sites, inbound);
  const key = JSON.stringify([dir, config.sites, inbound]);
  let m = mappingSets.get(key);
  if (!m) {
    m = loadMappingSet(dir, config.sites, inbound);
    mappingSets.set(key, m);
  }
  return m;
}

export async function buildTestNavbridge(opts: TestNavbridgeOptions = {}): Promise<TestNavbridge> {
  const mappingsDir = opts.mappingsDir ?? 'mappings';
  const parsed = appConfigSchema.parse({
    sites: ['leeds-north', 'cardiff-vale'],
    publicBaseUrl: TEST_AUDIENCE,
    partners: opts.partners ?? [],
    // Rate limits count requests per minute: on a fast machine a suite would meet them and fail
    // where a slow one passes. Tests of the limits set `http` themselves.
    http: { rateLimits: { enabled: false } },
    ...opts.config,
  });
  const config: LoadedConfig = {
    ...parsed,
    file: 'test.yaml',
    mappingsDirAbs: mappingsDir,
    profilesDirAbs: 'profiles',
  };
  const mappings = mappingSetFor(mappingsDir, config);
  const { validator } = loadProfiles('profiles');
  const t = opts.db ?? (await createTestDb());
  const now =
    typeof opts.clock === 'function'
      ? opts.clock
      : opts.clock
        ? () => (opts.clock as { now: Date }).now
        : () => new Date();
  const env: Env = {
    [config.secrets.personKeyEnv]: TEST_PERSON_KEY,
    [config.secrets.adminTokenEnv]: opts.adminToken ?? TEST_ADMIN_TOKEN,
    ...opts.env,
  };
  const { secrets } = readSecrets(env, config, { personKey: true, partnerAuth: false });
  const delivery = opts.delivery ?? 'memory';
  const jobs: QueueJob[] = [];
  const prefix = randomPrefix();
  let redis: Redis | undefined;
  let queues: QueueSet | undefined;
  if (delivery !== 'memory') {
    redis = connectRedis(opts.redisUrl);
    queues = createQueues(
      redis,
      prefix,
      config.partners.map((p) => p.id),
    );
  }
  const deps: NavbridgeDeps = {
    db: t.db,
    mappings,
    validator,
    partners: config.partners,
    alerts: config.alerts,
    personKey: TEST_PERSON_KEY,
    enqueue: queues
      ? (j) => queues.enqueue(j)
      : async (j) => {
          jobs.push(...j);
        },
    now,
    authenticate: createAuthenticator({ config, secrets, db: t.db, now }),
    pingRedis: async () => (redis ? pingRedis(redis) : true),
    ...(config.playground.enabled ? { playground: { mappingsDir } } : {}),
  };
  const navbridge = createNavbridge(deps);
  const app = buildApp({
    navbridge,
    publicBaseUrl: config.publicBaseUrl,
    logger: opts.logger ?? pino({ level: 'silent' }),
    http: config.http,
    ...(redis ? { rateStores: (name: string) => redisRateStore(redis!, prefix, name) } : {}),
    now,
  });
  const started: DeliveryWorkers[] = [];
  const startWorkers = (s: WorkerSettings = opts.worker ?? {}): DeliveryWorkers => {
    if (!queues) throw new Error('buildTestNavbridge: workers need delivery "queues" or "workers"');
    const w = startDeliveryWorkers({
      db: t.db,
      connect: () => connectRedis(opts.redisUrl),
      queues,
      partners: config.partners,
      partnerAuth: readSecrets(env, config, { personKey: false, partnerAuth: false }).secrets.partnerAuth,
      logger: pino({ level: 'silent' }),
      prefix,
      leaseMs: s.leaseMs ?? 10_000,
      sweepIntervalMs: s.sweepIntervalMs ?? 500,
      requeueAfterMs: s.requeueAfterMs ?? 1_000,
      ...(s.retention ? { retention: s.retention } : {}),
    });
    started.push(w);
    return w;
  };
  const workers = delivery === 'workers' ? startWorkers() : undefined;
  return {
    t,
    config,
    mappings,
    deps,
    navbridge,
    app,
    jobs,
    ...(queues ? { queues } : {}),
    ...(workers ? { workers } : {}),
    ...(redis ? { redis } : {}),
    prefix,
    startWorkers,
    async close() {
      for (const w of started.splice(0)) await w.close();
      await queues?.close();
      if (redis) {
        await deletePrefix(redis, prefix).catch(() => {});
        redis.disconnect();
      }
      if (!opts.db) await t.close();
    },
  };
}
