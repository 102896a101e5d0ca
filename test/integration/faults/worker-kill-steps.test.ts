// A `navbridge worker` process SIGKILLed at each step of one delivery, in transaction and in message
// mode, while another worker is running:
//   after claim   — the exchange is claimed in PostgreSQL (polled), its request black-holed on the way;
//   after send    — the request is at the partner's door, held there, and applied only after the
//                   person's later steps were delivered (a dead worker's write applied late);
//   before finish — the partner applied it and holds the answer; the worker never hears of it.
// Judged at the partner per person (0 lost, 0 duplicated, 0 reordered). The idle wait — from the
// kill to the next attempt at the victim exchange — is measured and must stay within the configured
// lease plus the sweep interval, with one more lease of slack for a busy machine (a bound in terms of
// the settings, not of machine speed); before the sweeper gave a new token it was BullMQ's ~65 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExchange } from '../../../src/store/exchanges.js';
import { killAllChildren, type WorkerProcess } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { waitFor } from '../../support/wait.js';
import { waitDelivered } from '../resilience/harness.js';
import { expectPerfect, type FaultRig, type Mode, openFaultRig, report } from './rig.js';

const LEASE_MS = 2_000;
const SWEEP_MS = 300;
const STEPS = 3;
const KILL_STEPS = ['after-claim', 'after-send', 'before-finish'] as const;
const MODES_UNDER_TEST: readonly Mode[] = ['transaction', 'message'];
const CASES = MODES_UNDER_TEST.flatMap((mode) => KILL_STEPS.map((step) => [mode, step] as const));

describe('worker SIGKILLed at each step of a delivery', () => {
  let rig: FaultRig;
  let current: WorkerProcess;
  let n = 0;
  const idle: Record<string, number> = {};

  beforeAll(async () => {
    rig = await openFaultRig({
      modes: MODES_UNDER_TEST,
      persons: CASES.length * 2,
      redisUrl: TEST_REDIS_URL,
      // A long timeout: the held request must still be in flight when the worker is killed.
      partner: { timeoutMs: 30_000, retry: { maxAttempts: 100, baseDelayMs: 50, maxDelayMs: 300 } },
      worker: { leaseMs: LEASE_MS, sweepIntervalMs: SWEEP_MS, requeueAfterMs: 500 },
    });
    current = await rig.startWorker(`w${n++}`);
  }, 60_000);
  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    report('idle wait after a worker death (ms)', { leaseMs: LEASE_MS, sweepIntervalMs: SWEEP_MS, ...idle });
  });

  it.each(CASES.map(([mode, step], i) => [mode, step, i] as const))(
    '%s mode, killed %s',
    async (mode, step, i) => {
      const partner = rig.partners.find((p) => p.mode === mode)!;
      const victimPerson = i * 2;
      const otherPerson = i * 2 + 1;
      if (step === 'after-claim') partner.proxy.setMode('blackhole');
      if (step === 'after-send')
        partner.proxy.holdNext(1, Number.POSITIVE_INFINITY, (m) => m === 'POST' || m === 'PUT');
      if (step === 'before-finish') partner.server.injectFaults({ delayMs: 60_000 });
      const sentBefore = partner.server.requestLog().length;

      const victim = await rig.submitStep(partner, victimPerson, 1);
      const ids = [victim];
      for (let s = 2; s <= STEPS; s++) ids.push(await rig.submitStep(partner, victimPerson, s));
      if (step === 'after-claim')
        await waitFor(async () => (await getExchange(rig.t.db, victim))?.status === 'in-flight', {
          what: 'the victim claimed',
        });
      if (step === 'after-send')
        await waitFor(async () => partner.proxy.held().length > 0, { what: 'the request held at the door' });
      if (step === 'before-finish')
        await waitFor(async () => partner.server.requestLog().length > sentBefore, {
          what: 'the request applied at the partner',
        });
      expect((await getExchange(rig.t.db, victim))?.status).toBe('in-flight');

      // The next worker is up before the kill, so the idle wait is navbridge's, not a process start.
      const next = await rig.startWorker(`w${n++}`);
      const killedAt = Date.now();
      current.signal('SIGKILL');
      await current.exited;
      current = next;
      if (step === 'after-claim') partner.proxy.setMode('pass');
      for (let s = 1; s <= STEPS; s++) ids.push(await rig.submitStep(partner, otherPerson, s));

      await waitDelivered(rig.t, ids, `every exchange after the kill ${step}`, 60_000);
      // The dead worker's write, held at the door, reaches the partner only now: after its retry and
      // after the person's later steps.
      partner.proxy.release();
      const { rows } = await rig.t.sql.query(
        `SELECT attempt_no, outcome, extract(epoch from started_at) * 1000 AS started
           FROM exchange_attempts WHERE exchange_id = $1 ORDER BY attempt_no`,
        [victim],
      );
      expect(rows[0]?.outcome).toBe('abandoned');
      const idleMs = Math.round(Number(rows[1]?.started) - killedAt);
      idle[`${mode}/${step}`] = idleMs;
      expect(idleMs).toBeLessThan(2 * LEASE_MS + SWEEP_MS);
      await partner.proxy.settled();
      // The dead worker's held write reached the partner after its retry and changed nothing there.
      if (step === 'after-send') idle[`${mode}/late-write-status`] = partner.proxy.held().at(-1)?.status ?? 0;
      const journeys = Array.from({ length: rig.persons.length }, (_, k) =>
        k === victimPerson || k === otherPerson ? STEPS : 0,
      );
      await expectPerfect(rig, journeys, [partner]);
    },
    90_000,
  );
});
