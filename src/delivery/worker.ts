// Delivery workers: one BullMQ Worker per partner queue. A job only names an exchange; PostgreSQL
// decides whether it may run (claim with lease and token) and records every attempt and outcome.

import { type Job, Worker } from 'bullmq';
import type { Bundle } from 'fhir/r4.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PartnerConfig } from '../settings/app-config.js';
import {
  type AttemptResult,
  claimExchange,
  findQueuedHeads,
  finishAttempt,
  releaseExpiredLeases,
  renewLease,
} from '../store/claims.js';
import type { Db } from '../store/db.js';
import { partnerResourceStore } from '../store/partner-resources.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { backoffMs, failureOutcome, isPartnerError, PartnerError } from './errors.js';
import { createAuthProvider } from './partner-auth.js';
import { PartnerClient } from './partner-client.js';
import { type JobData, jobDataSchema, type QueueSet } from './queues.js';

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
}

export interface DeliveryWorkers {
  /** One sweep now: release expired leases, re-queue heads that may have been lost. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export function startDeliveryWorkers(opts: WorkerOptions): DeliveryWorkers {
  const { db, queues, logger } = opts;
  const workers: Worker<JobData>[] = [];
  const connections: Redis[] = [];
  const breakers = new Map<string, CircuitBreaker>();

  for (const partner of opts.partners) {
    const client = new PartnerClient(
      partner,
      createAuthProvider(partner, opts.partnerAuth[partner.id]),
      partnerResourceStore(db, partner.id),
    );
    const log = logger.child({ partner: partner.id });
    const breaker = new CircuitBreaker(partner.circuitBreaker, {
      open: async () => {
        log.warn({ event: 'circuit-open' }, 'partner failing: queue paused');
        await queues.queue(partner.id).pause();
      },
      probe: () => client.probe(),
      trial: async () => {
        log.info({ event: 'circuit-half-open' }, 'partner answers: queue resumed, one retry as a trial');
        const q = queues.queue(partner.id);
        await q.resume();
        const [first] = await q.getDelayed(0, 0);
        await first?.promote().catch(() => {});
      },
      close: async () => {
        log.info({ event: 'circuit-closed' }, 'partner recovered: delayed retries promoted');
        await queues.queue(partner.id).promoteJobs();
      },
    });
    breakers.set(partner.id, breaker);

    const processor = async (job: Job<JobData>): Promise<string> => {
      const data = jobDataSchema.parse(job.data);
      const claim = await claimExchange(db, data.exchangeId, data.token, opts.leaseMs);
      if (!claim) return 'stale';
      const started = performance.now();
      // Keep the lease while the partner is slow: renewed at a third of its length.
      const heartbeat = setInterval(
        () => void renewLease(db, claim, opts.leaseMs).catch(() => {}),
        Math.max(500, Math.floor(opts.leaseMs / 3)),
      );
      heartbeat.unref();
      let result: AttemptResult;
      try {
        if (!claim.exchange.payload)
          throw new PartnerError('dead', 'invalid-payload', 'exchange has no payload');
        const sent = await client.send({
          exchangeId: claim.exchange.id,
          payload: claim.exchange.payload as Bundle,
          requestId: claim.requestId,
          correlationId: claim.exchange.correlationId,
        });
        result = {
          outcome: 'delivered',
          httpStatus: sent.httpStatus,
          response: sent.response,
          durationMs: performance.now() - started,
        };
        breaker.recordSuccess();
      } catch (err) {
        const pe = isPartnerError(err)
          ? err
          : new PartnerError('retry', 'internal', 'unexpected delivery failure');
        const durationMs = performance.now() - started;
        const exhausted = claim.attemptNo >= partner.retry.maxAttempts;
        if (pe.kind === 'retry' && !exhausted) {
          const delay = backoffMs(claim.attemptNo, partner.retry, pe.retryAfterMs);
          result = {
            outcome: 'retry',
            errorClass: pe.errorClass,
            error: failureOutcome(pe),
            durationMs,
            retryAt: new Date(Date.now() + delay),
            ...(pe.httpStatus ? { httpStatus: pe.httpStatus } : {}),
          };
          breaker.recordFailure();
        } else {
          result = {
            outcome: 'dead',
            errorClass:
              exhausted && pe.kind === 'retry' ? `${pe.errorClass}-retries-exhausted` : pe.errorClass,
            error: failureOutcome(pe),
            durationMs,
            ...(pe.httpStatus ? { httpStatus: pe.httpStatus } : {}),
          };
        }
      }
      clearInterval(heartbeat);
      const done = await finishAttempt(db, claim, result);
      if (!done) {
        log.warn(
          { exchange: claim.exchange.id, event: 'claim-lost' },
          'lease lost before the outcome was recorded',
        );
        return 'claim-lost';
      }
      log.info(
        {
          exchange: claim.exchange.id,
          attempt: claim.attemptNo,
          outcome: result.outcome,
          status: result.httpStatus,
        },
        'delivery attempt',
      );
      await queues.enqueue(done.jobs);
      return result.outcome;
    };

    const connection = opts.connect();
    connections.push(connection);
    const worker = new Worker<JobData>(partner.id, processor, {
      connection,
      prefix: opts.prefix,
      concurrency: partner.concurrency,
      ...(partner.rateLimit
        ? { limiter: { max: partner.rateLimit.max, duration: partner.rateLimit.durationMs } }
        : {}),
      // The PostgreSQL lease is the authority; a stalled job is simply retried (claim decides).
      maxStalledCount: 100,
      lockDuration: Math.max(30_000, partner.timeoutMs * 2),
    });
    worker.on('error', (err) => log.error({ event: 'worker-error', err: err.name }, 'worker error'));
    workers.push(worker);
  }

  const sweep = async (): Promise<number> => {
    const released = await releaseExpiredLeases(db);
    const heads = await findQueuedHeads(db, opts.requeueAfterMs);
    const known = new Set(opts.partners.map((p) => p.id));
    const jobs = [...released, ...heads].filter((j) => known.has(j.partnerId));
    await queues.enqueue(jobs);
    return jobs.length;
  };
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch(() => logger.error({ event: 'sweep-failed' }, 'sweep failed'))
      .finally(() => {
        sweeping = false;
      });
  }, opts.sweepIntervalMs);
  timer.unref();

  return {
    sweep,
    async close() {
      clearInterval(timer);
      for (const b of breakers.values()) b.stop();
      // close() stops taking jobs and waits for in-flight deliveries to finish.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
