// What a dead worker leaves behind must never stop delivery. (1) A worker SIGKILLed while its
// partner's circuit is open: the circuit lives in PostgreSQL and the queue is only rate-limited (a
// Redis key that expires), so another worker carries on once the partner recovers — nothing paused.
// (2) A queue paused by an older version is resumed when a worker starts. (3) A worker that died
// after taking a job but before claiming it: its job stays active in BullMQ until BullMQ's own lock
// expiry and stall check; the sweeper gives the exchange a new queue token — a new job — instead.
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../../src/delivery/queues.js';
import { readCircuit } from '../../../src/store/circuits.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { insertPersons, outboundExchange, queueExchange, taskBundle } from '../../support/exchanges.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { killAllChildren } from '../../support/processes.js';
import { connectRedis, TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { openRig, partnerEntry, type Rig, transactionPosts, waitDelivered } from './harness.js';

describe('a dead worker leaves nothing stuck', () => {
  let partner: PartnerServer;
  let rig: Rig;

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    rig = await openRig(
      {
        partners: [
          partnerEntry('trust', partner.url, {
            retry: { maxAttempts: 50, baseDelayMs: 200, maxDelayMs: 400 },
            circuitBreaker: { failureThreshold: 3, cooldownMs: 1_000 },
          }),
        ],
        redisUrl: TEST_REDIS_URL,
      },
      8,
    );
  });
  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await partner?.close();
  });

  it('killed while the partner’s circuit is open: another worker delivers everything once it recovers', async () => {
    partner.injectFaults(...Array.from({ length: 200 }, () => ({ status: 503 })));
    const w1 = await rig.startWorker('w1');
    const ids: string[] = [];
    for (const p of [0, 1, 2, 3]) ids.push(await rig.submit('trust', p, 1));
    await waitFor(async () => (await readCircuit(rig.t.db, 'trust')).state !== 'closed', {
      what: 'circuit open',
    });
    w1.signal('SIGKILL');
    await w1.exited;
    const queue = rig.queues.queue('trust');
    expect(await queue.isPaused()).toBe(false);

    partner.clearFaults();
    const before = transactionPosts(partner).filter((e) => e.status === 200).length;
    await rig.startWorker('w2');
    await waitDelivered(rig.t, ids, 'every exchange after the worker died with the circuit open');
    expect((await readCircuit(rig.t.db, 'trust')).state).toBe('closed');
    expect(transactionPosts(partner).filter((e) => e.status === 200).length - before).toBe(ids.length);
  });

  it('a queue an older version left paused is resumed when a worker starts', async () => {
    const queue = rig.queues.queue('trust');
    await queue.pause();
    const ids = [await rig.submit('trust', 4, 1), await rig.submit('trust', 5, 1)];
    await rig.startWorker('w3');
    await waitDelivered(rig.t, ids, 'delivered after the start resumed the queue');
    expect(await queue.isPaused()).toBe(false);
  });
});

describe('a worker that died after taking a job, before claiming it', () => {
  let partner: PartnerServer;
  let nb: TestNavbridge;

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    nb = await buildTestNavbridge({
      delivery: 'queues',
      partners: [partnerEntry('trust', partner.url)],
      worker: { leaseMs: 5_000, sweepIntervalMs: 200, requeueAfterMs: 500 },
    });
  });
  afterAll(async () => {
    await nb?.close();
    await partner?.close();
  });

  it('the sweeper gives its exchange a new token: delivered while the dead job is still active', async () => {
    const [personId] = await insertPersons(nb.t);
    const x = outboundExchange(personId!, {
      partnerId: 'trust',
      referralId: 'ref-dead',
      payload: taskBundle('ref-dead', 1),
    });
    const exchangeId = await queueExchange(nb.t.db, nb.queues!, x);
    const first = (await getExchange(nb.t.db, exchangeId))!;
    const deadJob = jobId({ exchangeId, token: first.queueToken! });

    // The "dead worker": takes the job (active in BullMQ, locked) and never does anything with it.
    const connection = connectRedis();
    const taker = new Worker('trust', null, {
      connection,
      prefix: nb.prefix,
      autorun: false,
      lockDuration: 60_000,
    });
    const taken = await taker.getNextJob(randomUUID());
    expect(taken?.id).toBe(deadJob);
    await taker.close(true).catch(() => {});
    connection.disconnect();
    expect(await nb.queues!.queue('trust').getJobState(deadJob)).toBe('active');

    nb.startWorkers();
    await waitFor(async () => (await getExchange(nb.t.db, exchangeId))?.status === 'delivered', {
      what: 'delivered through a new job',
    });
    // BullMQ would release the dead job only after its 60 s lock: it is still active, and its token stale.
    expect(await nb.queues!.queue('trust').getJobState(deadJob)).toBe('active');
    const delivered = (await getExchange(nb.t.db, exchangeId))!;
    expect(delivered.attemptCount).toBe(1);
    expect(partner.readAll('Task')).toHaveLength(1);
  });
});
