// One delivery attempt, top to bottom: the partner's circuit lets it go (or the queue waits), the
// exchange is claimed in PostgreSQL (a stale job does nothing), the lease is kept while the partner
// answers, the outcome is recorded by the claim's holder only, and what comes next is queued.
import type { Bundle } from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import type { AttemptResult } from '../store/attempt-results.js';
import { type Claim, claimExchange, finishAttempt, renewLease } from '../store/claims.js';
import type { Db } from '../store/db.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { PartnerError } from './errors.js';
import { LeaseHeartbeat } from './lease.js';
import type { PartnerClient } from './partner-client.js';
import type { JobData, QueueSet } from './queues.js';
import { failedAttempt } from './retry-policy.js';
import { LearnedVersions, type VersionStore } from './versioned-writes.js';

export interface DeliveryContext {
  db: Db;
  partner: PartnerConfig;
  client: Pick<PartnerClient, 'send'>;
  breaker: CircuitBreaker;
  queues: Pick<QueueSet, 'enqueue' | 'queue'>;
  log: Logger;
  leaseMs: number;
  /** The partner's versions as stored (what an attempt learns is kept with its outcome: `finishAttempt`). */
  versions: Pick<VersionStore, 'getMany'>;
  /** Counts attempts, failures by class and delivery latency (optional: tests may leave it out). */
  metrics?: Pick<Metrics, 'deliveryAttempts' | 'deliveryFailures' | 'deliveryLatency'>;
}

export type DeliveryOutcome = AttemptResult['outcome'] | 'stale' | 'claim-lost' | { wait: number };

async function attempt(
  ctx: DeliveryContext,
  claim: Claim,
  versions: LearnedVersions,
): Promise<AttemptResult> {
  const started = performance.now();
  const heartbeat = new LeaseHeartbeat(
    { renew: () => renewLease(ctx.db, claim, ctx.leaseMs) },
    ctx.leaseMs,
  ).start();
  try {
    if (!claim.exchange.payload) throw new PartnerError('dead', 'invalid-payload', 'exchange has no payload');
    const sent = await ctx.client.send(
      {
        exchangeId: claim.exchange.id,
        payload: claim.exchange.payload as Bundle,
        requestId: claim.requestId,
        correlationId: claim.exchange.correlationId,
      },
      versions,
    );
    return {
      outcome: 'delivered',
      httpStatus: sent.httpStatus,
      response: sent.response,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return failedAttempt(err, claim.attemptNo, ctx.partner.retry, performance.now() - started);
  } finally {
    heartbeat.stop();
  }
}

/** The circuit's part in an outcome: a partner that answered is up; a retryable failure counts. */
async function recordCircuit(ctx: DeliveryContext, result: AttemptResult): Promise<void> {
  if (result.outcome === 'retry') {
    if (await ctx.breaker.recordFailure())
      ctx.log.warn({ event: 'circuit-open' }, 'partner failing: deliveries wait for the cool-down');
    return;
  }
  if (result.outcome === 'dead' && result.httpStatus === undefined) return;
  if (await ctx.breaker.recordSuccess()) {
    ctx.log.info({ event: 'circuit-closed' }, 'partner recovered: delayed retries promoted');
    await ctx.queues.queue(ctx.partner.id).promoteJobs();
  }
}

/** Runs one job. `{ wait }` means: the partner's circuit is open, rate-limit the queue this long. */
export async function deliver(ctx: DeliveryContext, data: JobData): Promise<DeliveryOutcome> {
  const gate = await ctx.breaker.gate();
  if (gate.kind === 'wait') return { wait: gate.ms };
  if (gate.kind === 'trial')
    ctx.log.info({ event: 'circuit-half-open' }, 'partner answers: one delivery as a trial');
  const claim = await claimExchange(ctx.db, data.exchangeId, data.token, ctx.leaseMs);
  if (!claim) {
    // A stale job won the trial: give it back, or the circuit would wait another cool-down.
    if (gate.kind === 'trial') await ctx.breaker.releaseTrial();
    return 'stale';
  }
  const learned = new LearnedVersions(ctx.versions);
  const result = await attempt(ctx, claim, learned);
  // The versions the partner answered with are kept in the transaction that records the outcome.
  const done = await finishAttempt(ctx.db, claim, result, learned.all());
  await recordCircuit(ctx, result).catch((err: unknown) =>
    ctx.log.warn({ event: 'circuit-record-failed', err }, 'circuit state not recorded'),
  );
  if (!done) {
    ctx.log.warn(
      { exchange: claim.exchange.id, event: 'claim-lost' },
      'lease lost before the outcome was recorded',
    );
    return 'claim-lost';
  }
  const m = ctx.metrics;
  if (m) {
    const partner = ctx.partner.id;
    m.deliveryAttempts.inc({ partner, outcome: result.outcome });
    if (result.outcome === 'delivered')
      m.deliveryLatency.observe(
        { partner },
        Math.max(0, (Date.now() - claim.exchange.createdAt.getTime()) / 1000),
      );
    else m.deliveryFailures.inc({ partner, error_class: result.errorClass });
  }
  const level = result.outcome === 'dead' ? 'warn' : 'info';
  ctx.log[level](
    {
      event: result.outcome === 'dead' ? 'dead-letter' : 'delivery-attempt',
      exchange: claim.exchange.id,
      attempt: claim.attemptNo,
      outcome: result.outcome,
      status: result.httpStatus,
      ...(result.outcome !== 'delivered' ? { errorClass: result.errorClass } : {}),
    },
    result.outcome === 'dead' ? 'dead letter' : 'delivery attempt',
  );
  await ctx.queues.enqueue(done.jobs);
  return result.outcome;
}
