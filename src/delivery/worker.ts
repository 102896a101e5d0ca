// Delivery workers: one BullMQ Worker per partner queue. A job only names an exchange; PostgreSQL
// decides whether it may run (the partner's circuit, then the claim with lease and token) and records
// every attempt and outcome. The sweeper repairs what crashes and Redis losses leave behind.
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import {
  claimCircuitTrial,
  readCircuit,
  recordCircuitFailure,
  recordCircuitSuccess,
  releaseCircuitTrial,
} from '../store/circuits.js';
import type { Db } from '../store/db.js';
import { partnerResourceStore } from '../store/partner-resources.js';
import type { PruneCounts, RetentionPolicy } from '../store/retention.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { deliver } from './deliver.js';
import { createAuthProvider } from './partner-auth.js';
import { PartnerClient } from './partner-client.js';
import { startPruner } from './pruner.js';
import { type JobData, jobDataSchema, type QueueSet } from './queues.js';
import { closeWorkersWithin } from './redis.js';
import { sweep } from './sweeper.js';

export interface WorkerOptions {
  db: Db;
  /** Creates a Redis connection for a BullMQ Worker (each needs its own, maxRetriesPerRequest: null). */
  connect: () => Redis;
  queues: QueueSet;
  partners: readonly PartnerConfig[];
  /** Each partner's auth secret (bearer token or PEM key) by partner id. */
  partnerAuth: Readonly<Record<string, string>>;
  logger: Logger;
  prefix: string;
  leaseMs: number;
  sweepIntervalMs: number;
  requeueAfterMs: number;
  /** Retention: payloads past their days are pruned on this schedule (absent: no pruning here). */
  retention?: RetentionPolicy & { intervalMs: number };
  /** The process's metrics (attempts, failures, latency). */
  metrics?: Metrics;
}

export interface DeliveryWorkers {
  /** One sweep now: release expired leases, re-queue heads that may have been lost. */
  sweep(): Promise<number>;
  /** One retention run now (undefined without a retention policy). */
  prune(): Promise<PruneCounts | undefined>;
  /**
   * Stops taking jobs at once (every BullMQ worker begins to close: its blocking fetch is cut, so a
   * job queued from now on is left for the next worker); `close` then waits for in-flight deliveries.
   */
  stopTaking(): void;
  close(): Promise<void>;
}

/** A worker stops within this long whatever is down: in-flight deliveries get this long to finish. */
export const SHUTDOWN_GRACE_MS = 10_000;

function breakerFor(db: Db, partner: PartnerConfig, client: PartnerClient): CircuitBreaker {
  return new CircuitBreaker(
    partner.circuitBreaker,
    {
      read: () => readCircuit(db, partner.id),
      recordFailure: (policy) => recordCircuitFailure(db, partner.id, policy),
      recordSuccess: () => recordCircuitSuccess(db, partner.id),
      claimTrial: (cooldownMs) => claimCircuitTrial(db, partner.id, cooldownMs),
      releaseTrial: () => releaseCircuitTrial(db, partner.id),
    },
    () => client.probe(),
  );
}

export function startDeliveryWorkers(opts: WorkerOptions): DeliveryWorkers {
  const { db, queues, logger } = opts;
  const workers: Worker<JobData>[] = [];
  const connections: Redis[] = [];

  for (const partner of opts.partners) {
    const versions = partnerResourceStore(db, partner.id);
    const client = new PartnerClient(
      partner,
      createAuthProvider(partner, opts.partnerAuth[partner.id]),
      versions,
    );
    const log = logger.child({ partner: partner.id });
    const ctx = {
      db,
      partner,
      client,
      breaker: breakerFor(db, partner, client),
      queues,
      log,
      leaseMs: opts.leaseMs,
      versions,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    };
    const connection = opts.connect();
    connections.push(connection);
    const worker: Worker<JobData> = new Worker<JobData>(
      partner.id,
      async (job: Job<JobData>): Promise<string> => {
        const outcome = await deliver(ctx, jobDataSchema.parse(job.data));
        if (typeof outcome === 'object') {
          // The circuit is open: the whole queue waits (every worker), then the job runs again.
          await worker.rateLimit(outcome.wait);
          throw Worker.RateLimitError();
        }
        return outcome;
      },
      {
        connection,
        prefix: opts.prefix,
        concurrency: partner.concurrency,
        ...(partner.rateLimit
          ? { limiter: { max: partner.rateLimit.max, duration: partner.rateLimit.durationMs } }
          : {}),
        // The PostgreSQL lease is the authority; a stalled job is simply run again (the claim decides).
        maxStalledCount: 100,
        lockDuration: Math.max(30_000, partner.timeoutMs * 2),
      },
    );
    worker.on('error', (err) => log.error({ event: 'worker-error', err }, 'worker error'));
    workers.push(worker);
    // Older versions paused a failing partner's queue (a flag that outlived the process): never again.
    void queues
      .queue(partner.id)
      .resume()
      .catch(() => {});
  }

  const sweepOnce = () =>
    sweep({
      db,
      queues,
      partnerIds: opts.partners.map((p) => p.id),
      requeueAfterMs: opts.requeueAfterMs,
      logger,
    });
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweepOnce()
      .catch((err: unknown) => logger.error({ event: 'sweep-failed', err }, 'sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, opts.sweepIntervalMs);
  timer.unref();
  const pruner = opts.retention
    ? startPruner({ db, policy: opts.retention, intervalMs: opts.retention.intervalMs, logger })
    : undefined;

  return {
    sweep: sweepOnce,
    prune: async () => pruner?.prune(),
    stopTaking() {
      clearInterval(timer);
      // The closing promise is the one close() waits for (bounded) below.
      for (const w of workers) w.close().catch(() => {});
    },
    async close() {
      clearInterval(timer);
      pruner?.stop();
      // close() stops taking jobs and waits for in-flight deliveries; bounded, whatever is down.
      if (!(await closeWorkersWithin(workers, SHUTDOWN_GRACE_MS)))
        logger.warn({ event: 'worker-shutdown-forced' }, 'in-flight deliveries did not finish in time');
      for (const c of connections) c.disconnect();
    },
  };
}
