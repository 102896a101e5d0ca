// One BullMQ queue per partner. Jobs carry only (exchange id, queue token); the job id is built from
// both, so a replay or a retry (new token) is a new job while the sweeper's re-add of a job that is
// still queued (same token) is ignored by BullMQ.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { QueueJob } from '../store/exchanges.js';

export const jobDataSchema = z
  .object({ exchangeId: z.string().uuid(), token: z.string().regex(/^t[0-9a-f]{32}$/) })
  .strict();
export type JobData = z.infer<typeof jobDataSchema>;

export const JOB_NAME = 'deliver';

/** BullMQ rejects custom ids that are integers or contain ':'; ours are `<uuid>-<token>`. */
export const jobId = (j: Pick<QueueJob, 'exchangeId' | 'token'>): string => `${j.exchangeId}-${j.token}`;

export interface QueueSet {
  enqueue(jobs: readonly QueueJob[]): Promise<void>;
  queue(partnerId: string): Queue<JobData>;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string, partnerIds: readonly string[]): QueueSet {
  const queues = new Map<string, Queue<JobData>>();
  for (const id of partnerIds) queues.set(id, new Queue<JobData>(id, { connection, prefix }));
  const get = (partnerId: string): Queue<JobData> => {
    const q = queues.get(partnerId);
    if (!q) throw new Error(`no queue for partner ${partnerId}`);
    return q;
  };
  return {
    queue: get,
    async enqueue(jobs) {
      for (const j of jobs) {
        const delay = j.notBefore ? Math.max(0, j.notBefore.getTime() - Date.now()) : 0;
        await get(j.partnerId).add(
          JOB_NAME,
          { exchangeId: j.exchangeId, token: j.token },
          {
            jobId: jobId(j),
            delay,
            // PostgreSQL keeps the history; Redis keeps only what is still to do. Removing finished
            // jobs also lets the sweeper re-add a job id after a failure instead of being ignored.
            removeOnComplete: true,
            removeOnFail: true,
            attempts: 5,
            backoff: { type: 'exponential', delay: 1_000 },
          },
        );
      }
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
