// PostgreSQL restarted under a running `navbridge worker` process while deliveries are in flight, on
// a private cluster: stopped fast (sessions terminated: "terminating connection due to administrator
// command") and stopped immediate (connections cut: "Connection terminated unexpectedly"). The worker
// must not crash: a lost connection fails the current step as retryable, the worker carries on, and
// once PostgreSQL is back every exchange is delivered exactly once, in order per person.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN } from '../../support/navbridge.js';
import { type PostgresCluster, startPostgresCluster } from '../../support/postgres.js';
import { killAllChildren, type WorkerProcess } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import {
  attemptsOf,
  collapseRepeats,
  openRig,
  partnerEntry,
  type Rig,
  stepNames,
  stepsSeen,
  transactionPosts,
  waitDelivered,
} from './harness.js';

const STEPS = 3;

describe('PostgreSQL restarted under a running worker', () => {
  let cluster: PostgresCluster;
  let partner: PartnerServer;
  let rig: Rig;
  let worker: WorkerProcess;

  beforeAll(async () => {
    [cluster, partner] = await Promise.all([startPostgresCluster(), startPartnerServer({ name: 'trust' })]);
    rig = await openRig(
      {
        partners: [
          partnerEntry('trust', partner.url, {
            retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 500 },
          }),
        ],
        redisUrl: TEST_REDIS_URL,
        databaseUrl: cluster.url,
      },
      8,
    );
    worker = await rig.startWorker('w');
  }, 90_000);

  afterAll(async () => {
    await killAllChildren();
    await rig?.close().catch(() => {});
    await cluster?.destroy();
    await partner?.close();
  });

  async function expectDeliveredOnceInOrder(people: number[], ids: string[]) {
    await waitDelivered(rig.t, ids, 'every exchange after the restart', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${worker.output().slice(-3_000)}`);
    });
    // Exactly once in effect: an attempt whose outcome PostgreSQL could not record is sent again and
    // may land twice with the same content (never an older state after a newer one).
    for (const p of people) {
      const seen = await stepsSeen(partner, p);
      expect(seen.tasks).toBe(1);
      expect(collapseRepeats(seen.steps)).toEqual(stepNames(STEPS));
    }
    const delivered = (await attemptsOf(rig.t, ids)).filter((a) => a.outcome === 'delivered');
    expect(delivered.map((a) => a.exchange_id).sort()).toEqual([...ids].sort());
  }

  for (const [mode, people] of [
    ['fast', [0, 1, 2, 3]],
    ['immediate', [4, 5, 6, 7]],
  ] as const) {
    it(`stopped ${mode} mid-delivery: the worker survives and everything arrives once, in order`, async () => {
      const before = transactionPosts(partner).length;
      // The partner holds its answers, so deliveries are in flight (claimed, not finished) at the stop.
      partner.injectFaults(...Array.from({ length: 4 }, () => ({ delayMs: 1_500 })));
      const ids: string[] = [];
      for (let step = 1; step <= STEPS; step++)
        for (const p of people) ids.push(await rig.submit('trust', p, step));
      await waitFor(async () => transactionPosts(partner).length > before, {
        what: 'a delivery in flight',
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${worker.output().slice(-3_000)}`);
      });

      await cluster.stop(mode);
      // Long enough for the worker to meet the outage: held answers return, leases, the sweeper.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(worker.logs().some((l) => l.msg === 'uncaughtException')).toBe(false);
      await cluster.start();
      const back = Date.now();

      await expectDeliveredOnceInOrder([...people], ids);
      console.log(
        `[faults] postgres stopped ${mode} 2.5 s: everything delivered ${Date.now() - back} ms after it was back`,
      );
      // Still the same process: it never crashed.
      let exited = false;
      void worker.exited.then(() => {
        exited = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(exited, worker.output().slice(-2_000)).toBe(false);
      expect(worker.output()).not.toMatch(/Unhandled 'error' event|uncaughtException/);
    }, 120_000);
  }

  it('the API answers 503 with Retry-After while PostgreSQL is down, and recovers by itself', async () => {
    const t = await createTestDb(cluster.url);
    const nb = await buildTestNavbridge({ db: t, adminToken: TEST_ADMIN_TOKEN });
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    try {
      expect((await request(nb.app).get('/api/v1/referrals').set(auth)).status).toBe(200);
      await cluster.stop('immediate');
      const down = await request(nb.app).get('/api/v1/referrals').set(auth);
      expect(down.status).toBe(503);
      expect(down.get('Retry-After')).toBe('5');
      expect(down.body.issue[0].details.coding[0].code).toBe('SERVICE_UNAVAILABLE');
      const submit = await request(nb.app)
        .post('/api/v1/records')
        .set(auth)
        .send({ recordType: 'referral', record: recordFixture('referral') });
      expect(submit.status).toBe(503);
      expect((await request(nb.app).get('/health')).status).toBe(200);
      const ready = await request(nb.app).get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'not-ready',
        postgres: 'unavailable',
        migrations: { status: 'unknown' },
      });
      await cluster.start();
      await waitFor(async () => (await request(nb.app).get('/api/v1/referrals').set(auth)).status === 200, {
        what: 'the API back after PostgreSQL',
      });
    } finally {
      await nb.close();
      await t.close().catch(() => {});
    }
  }, 60_000);
});
