// Shared rig for the resilience tests: a fresh PostgreSQL schema, queues on a real Redis, a worker
// configuration file, `navbridge worker` processes pointed at both, and exchanges submitted the way
// the service does (insertOutbound in a transaction, then enqueue). Each person's Task carries the
// step number in businessStatus (taskBundle), so the partner's version history shows the order of arrival.
import { randomUUID } from 'node:crypto';
import type { Task } from 'fhir/r4.js';
import type { Redis } from 'ioredis';
import { createQueues, type QueueSet } from '../../../src/delivery/queues.js';
import { createTestDb, TEST_DATABASE_URL, TEST_MASTER_KEYS, type TestDb } from '../../support/db.js';
import {
  deliveredCount,
  insertPersons,
  outboundExchange,
  queueExchange,
  TASK_SYSTEM,
  taskBundle,
} from '../../support/exchanges.js';
import {
  REPO_ROOT,
  spawnWorker,
  type TempConfig,
  type WorkerProcess,
  writeTempConfig,
} from '../../support/processes.js';
import { connectRedis, deletePrefix, randomPrefix } from '../../support/redis.js';
import type { PartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

/** A partner entry of navbridge.config.yaml (transaction mode, receives referral status). */
export function partnerEntry(id: string, baseUrl: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `Partner ${id}`,
    kind: 'trust',
    baseUrl,
    mode: 'transaction',
    receives: ['referral-status'],
    concurrency: 4,
    timeoutMs: 2_500,
    retry: { maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 400 },
    circuitBreaker: { failureThreshold: 100, cooldownMs: 500 },
    ...extra,
  };
}

export interface RigOptions {
  partners: ReturnType<typeof partnerEntry>[];
  redisUrl: string;
  /** Another PostgreSQL (e.g. a private cluster a test stops and starts). */
  databaseUrl?: string;
  worker?: { leaseMs?: number; sweepIntervalMs?: number; requeueAfterMs?: number };
}

export interface Rig {
  t: TestDb;
  redis: Redis;
  prefix: string;
  queues: QueueSet;
  persons: string[];
  config: TempConfig;
  /** Inserts one exchange (Task step for a person) and queues what the store says to queue. */
  submit(partnerId: string, personIdx: number, step: number): Promise<string>;
  worker(name: string): WorkerProcess;
  /** Starts a worker process and waits until it has started its workers. */
  startWorker(name: string): Promise<WorkerProcess>;
  close(): Promise<void>;
}

export async function openRig(opts: RigOptions, personCount: number): Promise<Rig> {
  const t = await createTestDb(opts.databaseUrl);
  const prefix = randomPrefix();
  const redis = connectRedis(opts.redisUrl);
  const queues = createQueues(
    redis,
    prefix,
    opts.partners.map((p) => p.id),
  );
  const persons = await insertPersons(t, personCount);
  const config = writeTempConfig({
    mappingsDir: `${REPO_ROOT}/mappings`,
    profilesDir: `${REPO_ROOT}/profiles`,
    sites: ['leeds-north'],
    worker: {
      leaseMs: 3_000,
      sweepIntervalMs: 300,
      requeueAfterMs: 500,
      ...opts.worker,
      queuePrefix: prefix,
    },
    partners: opts.partners,
  });
  const env = {
    NAVBRIDGE_CONFIG: config.file,
    DATABASE_URL: opts.databaseUrl ?? TEST_DATABASE_URL,
    NAVBRIDGE_DB_SCHEMA: t.schema,
    NAVBRIDGE_PERSON_KEY: 'resilience-test-person-key-0123456789',
    NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
    REDIS_URL: opts.redisUrl,
  };
  const worker = (name: string) => spawnWorker(name, env);
  return {
    t,
    redis,
    prefix,
    queues,
    persons,
    config,
    worker,
    async startWorker(name) {
      const w = worker(name);
      await w.waitForLog((l) => l.event === 'worker-started', 'worker started', 30_000);
      return w;
    },
    submit(partnerId, personIdx, step) {
      return queueExchange(
        t.db,
        queues,
        outboundExchange(persons[personIdx]!, {
          partnerId,
          sourceId: `ev-${personIdx}-${step}-${randomUUID()}`,
          referralId: `ref-${personIdx}`,
          payload: taskBundle(`ref-${personIdx}`, step),
        }),
      );
    },
    async close() {
      // Bounded: after a failed test the Redis server may be gone, and ioredis would wait for it.
      const cleanup = async () => {
        await queues.close().catch(() => {});
        await deletePrefix(redis, prefix).catch(() => {});
      };
      await Promise.race([cleanup(), new Promise((r) => setTimeout(r, 3_000).unref())]);
      redis.disconnect();
      config.remove();
      await t.close();
    },
  };
}

/** The person's Task steps as the partner saw them, oldest first, and how many Tasks match. */
export async function stepsSeen(
  partner: PartnerServer,
  personIdx: number,
): Promise<{ tasks: number; steps: string[] }> {
  const tasks = await partner.search<Task>('Task', { identifier: `${TASK_SYSTEM}|ref-${personIdx}` });
  if (tasks.length !== 1 || !tasks[0]?.id) return { tasks: tasks.length, steps: [] };
  const history = await partner.history<Task>('Task', tasks[0].id);
  return { tasks: 1, steps: history.map((h) => h.businessStatus?.text ?? '').reverse() };
}

export const stepNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `step-${i + 1}`);

/** Consecutive repeats collapsed: a resend of the same state after a crash leaves an equal version. */
export const collapseRepeats = (steps: string[]): string[] => steps.filter((s, i) => s !== steps[i - 1]);

export function waitDelivered(t: TestDb, ids: readonly string[], what: string, timeoutMs = 30_000) {
  return waitFor(async () => (await deliveredCount(t, ids)) === ids.length, { what, timeoutMs });
}

export interface AttemptRow {
  exchange_id: string;
  attempt_no: number;
  request_id: string;
  outcome: string | null;
  error_class: string | null;
}

export async function attemptsOf(t: TestDb, ids: readonly string[]): Promise<AttemptRow[]> {
  const { rows } = await t.sql.query(
    `SELECT exchange_id, attempt_no, request_id, outcome, error_class FROM exchange_attempts
      WHERE exchange_id = ANY($1) ORDER BY exchange_id, attempt_no`,
    [ids],
  );
  return rows as AttemptRow[];
}

/** Transaction POSTs the partner received (metadata probes excluded). */
export const transactionPosts = (partner: PartnerServer) =>
  partner.requestLog().filter((e) => e.method === 'POST' && e.path === '/');
