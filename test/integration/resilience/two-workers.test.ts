// Two `navbridge worker` processes on the same partner queue: 20 people × 5 events. Both processes
// deliver (counted from each one's own log), each person's Task versions arrive in order, and every
// exchange is sent exactly once (one attempt, one request id at the partner).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
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

const PEOPLE = 20;
const STEPS = 5;

describe('two worker processes on one queue', () => {
  let partner: PartnerServer;
  let rig: Rig;

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    rig = await openRig({ partners: [partnerEntry('trust', partner.url)], redisUrl: TEST_REDIS_URL }, PEOPLE);
  });

  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await partner?.close();
  });

  it('share the work without duplicating or reordering', async () => {
    // Slow answers at first, so that neither process can drain the 20 queued heads alone.
    partner.injectFaults(...Array.from({ length: 40 }, () => ({ delayMs: 100 })));
    const [a, b] = await Promise.all([rig.startWorker('a'), rig.startWorker('b')]);
    const ids: string[] = [];
    for (let step = 1; step <= STEPS; step++) {
      for (let p = 0; p < PEOPLE; p++) ids.push(await rig.submit('trust', p, step));
    }
    await waitDelivered(rig.t, ids, 'all 100 exchanges', 60_000);

    for (let p = 0; p < PEOPLE; p++) {
      expect(await stepsSeen(partner, p)).toEqual({ tasks: 1, steps: stepNames(STEPS) });
    }
    const posts = transactionPosts(partner);
    expect(posts).toHaveLength(PEOPLE * STEPS);
    expect(new Set(posts.map((e) => e.headers['x-request-id'])).size).toBe(PEOPLE * STEPS);
    const attempts = await attemptsOf(rig.t, ids);
    expect(attempts.map((x) => x.outcome)).toEqual(Array(PEOPLE * STEPS).fill('delivered'));

    // Each process logs its own attempts: together all 100, each some.
    const done = (w: typeof a) => w.logs().filter((l) => l.msg === 'delivery attempt');
    await waitFor(async () => done(a).length + done(b).length === PEOPLE * STEPS, {
      what: 'every attempt logged',
    });
    expect(done(a).length).toBeGreaterThan(0);
    expect(done(b).length).toBeGreaterThan(0);
    const logged = [...done(a), ...done(b)].map((l) => l.exchange);
    expect(new Set(logged).size).toBe(PEOPLE * STEPS);

    a.signal('SIGTERM');
    b.signal('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
