// Redis losing everything under a running `navbridge worker` process, on a private redis-server:
// FLUSHALL while jobs are waiting (the partner's circuit open: its queue rate-limited) and delayed
// (retries), then
// the server killed and restarted empty while deliveries are in flight. PostgreSQL is the authority:
// the sweeper re-queues every head, and each exchange arrives exactly once, in per-person order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCircuit } from '../../../src/store/circuits.js';
import { deliveredCount } from '../../support/exchanges.js';
import {
  killAllChildren,
  type RedisServer,
  startRedisServer,
  type WorkerProcess,
} from '../../support/processes.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import {
  attemptsOf,
  openRig,
  partnerEntry,
  type Rig,
  stepNames,
  stepsSeen,
  transactionPosts,
  waitDelivered,
} from './harness.js';

const STEPS = 3;

describe('Redis loses its data under a running worker', () => {
  let redisServer: RedisServer;
  let partner: PartnerServer;
  let rig: Rig;
  let worker: WorkerProcess;

  beforeAll(async () => {
    [redisServer, partner] = await Promise.all([startRedisServer(), startPartnerServer({ name: 'trust' })]);
    rig = await openRig(
      {
        partners: [
          partnerEntry('trust', partner.url, {
            retry: { maxAttempts: 50, baseDelayMs: 1_500, maxDelayMs: 1_500 },
            circuitBreaker: { failureThreshold: 4, cooldownMs: 3_000 },
          }),
        ],
        redisUrl: redisServer.url,
      },
      12,
    );
    // The test's own connection sees the outage too; its errors are expected.
    rig.redis.on('error', () => {});
    rig.queues.queue('trust').on('error', () => {});
    worker = await rig.startWorker('w');
  });

  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await partner?.close();
  });

  async function expectInOrderOnce(people: number[], ids: string[]) {
    for (const p of people)
      expect(await stepsSeen(partner, p)).toEqual({ tasks: 1, steps: stepNames(STEPS) });
    const delivered = (await attemptsOf(rig.t, ids)).filter((a) => a.outcome === 'delivered');
    expect(delivered.map((a) => a.exchange_id).sort()).toEqual([...ids].sort());
  }

  it('FLUSHALL with jobs waiting and delayed: the sweeper re-queues them, each delivered once in order', async () => {
    const queue = rig.queues.queue('trust');
    partner.injectFaults(...Array.from({ length: 4 }, () => ({ status: 503 })));
    const ids: string[] = [];
    const submitPeople = async (people: number[]) => {
      for (let step = 1; step <= STEPS; step++)
        for (const p of people) ids.push(await rig.submit('trust', p, step));
    };
    // Four heads fail with 503 → four delayed retries, and the partner's circuit opens.
    await submitPeople([0, 1, 2, 3]);
    await waitFor(async () => (await readCircuit(rig.t.db, 'trust')).state === 'open', {
      what: 'circuit open',
    });
    // Four more heads wait in the queue, which the open circuit keeps waiting (never paused).
    await submitPeople([4, 5, 6, 7]);
    expect(await queue.isPaused()).toBe(false);
    // All eight are in Redis: waiting (the open circuit holds them back), delayed (retries), or the
    // one a worker is turning back or trying as the circuit's trial at this moment.
    const counts = await waitFor(
      async () => {
        const c = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
        return Object.values(c).reduce((x, y) => x + y, 0) === 8 ? c : undefined;
      },
      { what: 'eight jobs in Redis' },
    );
    expect(counts.active).toBeLessThanOrEqual(1);

    await rig.redis.flushall();
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({
      waiting: 0,
      delayed: 0,
    });

    await waitDelivered(rig.t, ids, 'every exchange after FLUSHALL');
    await expectInOrderOnce([0, 1, 2, 3, 4, 5, 6, 7], ids);
    // 24 deliveries plus the four 503s; no request was sent twice.
    const posts = transactionPosts(partner);
    expect(posts).toHaveLength(24 + 4);
    expect(posts.filter((e) => e.status === 200)).toHaveLength(24);
  });

  it('redis-server killed and restarted empty mid-delivery: the worker reconnects and finishes', async () => {
    const before = transactionPosts(partner).length;
    partner.injectFaults(...Array.from({ length: 4 }, () => ({ delayMs: 500 })));
    const ids: string[] = [];
    for (let step = 1; step <= STEPS; step++)
      for (const p of [8, 9, 10, 11]) ids.push(await rig.submit('trust', p, step));
    await waitFor(async () => transactionPosts(partner).length > before, { what: 'a delivery in flight' });

    await redisServer.kill();
    // PostgreSQL still records the deliveries that were in flight.
    await waitFor(async () => (await deliveredCount(rig.t, ids)) > 0, {
      what: 'in-flight delivery recorded',
    });
    await redisServer.start();
    const back = Date.now();
    // BullMQ's worker waits runRetryDelay (15 s, an internal option) after a connection error before
    // fetching again: recovery can take that long, hence the generous deadline below.

    await waitDelivered(rig.t, ids, 'every exchange after the Redis restart', 40_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${worker.output().slice(-3_000)}`);
    });
    console.log(
      `[faults] redis killed and restarted empty: everything delivered ${Date.now() - back} ms after it was back`,
    );
    await expectInOrderOnce([8, 9, 10, 11], ids);
    expect(transactionPosts(partner).length - before).toBe(ids.length);

    worker.signal('SIGTERM');
    expect(await worker.exited, worker.output()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
