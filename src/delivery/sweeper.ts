// The sweeper repairs what a crash or a Redis loss leaves behind: in-flight exchanges whose lease
// expired (their worker died) go back to the queue with a new token; queued heads whose job is gone
// (Redis lost it, or the process died between commit and enqueue) are added again; and heads whose
// job is held, unclaimed, by a worker that died before claiming it get a new token (so a new job),
// instead of waiting for BullMQ's own lock expiry and stall check; and retries overdue by
// PostgreSQL's clock whose job is still delayed (a clock jumped) get a new job that runs now.
import type { Logger } from 'pino';
import { readCircuits } from '../store/circuits.js';
import {
  findOverdueRetries,
  findQueuedHeads,
  releaseExpiredLeases,
  rotateQueueToken,
} from '../store/claims.js';
import type { Db } from '../store/db.js';
import type { QueueJob } from '../store/exchanges.js';
import { jobId, type QueueSet } from './queues.js';

export interface SweeperOptions {
  db: Db;
  queues: QueueSet;
  partnerIds: readonly string[];
  /** A queued exchange untouched this long is looked at. */
  requeueAfterMs: number;
  logger: Logger;
}

/** Heads examined per sweep at most (the oldest first); a larger backlog is worked through in turns. */
export const SWEEP_BATCH = 1_000;

export async function sweep(opts: SweeperOptions): Promise<number> {
  const known = new Set(opts.partnerIds);
  const released = (await releaseExpiredLeases(opts.db)).filter((j) => known.has(j.partnerId));
  const heads = (await findQueuedHeads(opts.db, opts.requeueAfterMs, SWEEP_BATCH)).filter((j) =>
    known.has(j.partnerId),
  );
  const jobs: QueueJob[] = [...released];
  const byPartner = new Map<string, QueueJob[]>();
  for (const h of heads) byPartner.set(h.partnerId, [...(byPartner.get(h.partnerId) ?? []), h]);
  for (const [partnerId, list] of byPartner) {
    const queue = opts.queues.queue(partnerId);
    const active = new Set((await queue.getActive()).map((j) => j.id));
    const states = await Promise.all(list.map((h) => queue.getJobState(jobId(h))));
    for (const [i, head] of list.entries()) {
      if (active.has(jobId(head))) {
        // Active but never claimed, for longer than any live worker takes to claim: its worker died.
        const fresh = await rotateQueueToken(opts.db, head);
        if (fresh) jobs.push(fresh);
      } else if (states[i] === 'unknown') jobs.push(head);
    }
  }
  jobs.push(...(await overdueRetries(opts, known)));
  await opts.queues.enqueue(jobs);
  await offerTrials(opts);
  if (jobs.length) opts.logger.info({ event: 'sweep', queued: jobs.length }, 'sweeper re-queued exchanges');
  return jobs.length;
}

/** Overdue retries whose job is still delayed: a new token (a new job, due now); the old job is stale. */
async function overdueRetries(opts: SweeperOptions, known: ReadonlySet<string>): Promise<QueueJob[]> {
  const out: QueueJob[] = [];
  for (const job of await findOverdueRetries(opts.db, opts.requeueAfterMs, SWEEP_BATCH)) {
    if (!known.has(job.partnerId)) continue;
    if ((await opts.queues.queue(job.partnerId).getJobState(jobId(job))) !== 'delayed') continue;
    const fresh = await rotateQueueToken(opts.db, job);
    if (fresh) out.push({ ...fresh, notBefore: null });
  }
  return out;
}

/**
 * A circuit whose cool-down has passed needs a delivery to try: when the partner's queue holds only
 * delayed retries (nothing waiting), the first one is promoted to be the trial.
 */
async function offerTrials(opts: SweeperOptions): Promise<void> {
  const now = Date.now();
  for (const [partnerId, c] of await readCircuits(opts.db)) {
    if (c.state === 'closed' || !opts.partnerIds.includes(partnerId) || (c.probeAt?.getTime() ?? 0) > now)
      continue;
    const queue = opts.queues.queue(partnerId);
    const counts = await queue.getJobCounts('waiting', 'prioritized');
    if ((counts.waiting ?? 0) + (counts.prioritized ?? 0) > 0) continue;
    const [first] = await queue.getDelayed(0, 0);
    await first?.promote().catch(() => {});
  }
}
