// SIGTERM to a `navbridge worker` process: it stops taking jobs, finishes the delivery in flight
// (held by the partner), records it as delivered, closes its connections and exits 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExchange } from '../../../src/store/exchanges.js';
import { killAllChildren } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import {
  attemptsOf,
  openRig,
  partnerEntry,
  type Rig,
  stepsSeen,
  transactionPosts,
  waitDelivered,
} from './harness.js';

describe('worker process shutdown on SIGTERM', () => {
  let partner: PartnerServer;
  let rig: Rig;

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    rig = await openRig({ partners: [partnerEntry('trust', partner.url)], redisUrl: TEST_REDIS_URL }, 2);
  });

  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await partner?.close();
  });

  it('finishes the in-flight delivery, takes no new job and exits 0', async () => {
    partner.injectFaults({ delayMs: 1_500 });
    const worker = await rig.startWorker('w1');
    const held = await rig.submit('trust', 0, 1);
    await waitFor(async () => transactionPosts(partner).length === 1, {
      what: 'request held by the partner',
    });
    expect((await getExchange(rig.t.db, held))?.status).toBe('in-flight');

    worker.signal('SIGTERM');
    await worker.waitForLog((l) => l.event === 'worker-stopping', 'stopping');
    // Queued after the worker began to stop: it must be left for the next worker.
    const later = await rig.submit('trust', 1, 1);
    const exit = await worker.exited;
    expect(exit, worker.output()).toEqual({ code: 0, signal: null });

    const x = await getExchange(rig.t.db, held);
    expect(x?.status).toBe('delivered');
    expect((await attemptsOf(rig.t, [held])).map((a) => a.outcome)).toEqual(['delivered']);
    expect(await stepsSeen(partner, 0)).toEqual({ tasks: 1, steps: ['step-1'] });
    expect((await getExchange(rig.t.db, later))?.status).toBe('pending');
    expect(await attemptsOf(rig.t, [later])).toEqual([]);
    expect(transactionPosts(partner)).toHaveLength(1);

    // The job left on the queue is picked up by the next worker.
    const next = await rig.startWorker('w2');
    await waitDelivered(rig.t, [later], 'the job queued during shutdown');
    expect(await stepsSeen(partner, 1)).toEqual({ tasks: 1, steps: ['step-1'] });
    next.signal('SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
  });

  it('a second SIGTERM while a delivery is still in flight exits at once, with code 1', async () => {
    // Held far beyond the worker's grace period: only the second signal can end it early.
    partner.injectFaults({ delayMs: 60_000 });
    const worker = await rig.startWorker('w3');
    const held = await rig.submit('trust', 0, 2);
    await waitFor(async () => (await getExchange(rig.t.db, held))?.status === 'in-flight', {
      what: 'a delivery in flight',
    });
    worker.signal('SIGTERM');
    await worker.waitForLog((l) => l.event === 'worker-stopping', 'stopping');
    worker.signal('SIGTERM');
    expect(await worker.exited, worker.output()).toEqual({ code: 1, signal: null });
    expect(worker.output()).toContain('second SIGTERM: exiting now');
    // Nothing is lost: the exchange is still in flight under its lease, for the next worker to take.
    expect((await getExchange(rig.t.db, held))?.status).toBe('in-flight');
    partner.clearFaults();
  });
});
