// Partner-side faults in every delivery mode at once (transaction, rest, message, document), under a
// real `navbridge worker` process: the partner down (connections cut), unavailable (503 with
// Retry-After), a network partition between worker and partner (requests black-holed, never
// answered), a slow partner (answers near the timeout) and a partner that applies writes late (held
// past the timeout, then passed on after the retry). Each case gives two people three steps each while
// the fault lasts, ends the fault, and is judged at the partner: 0 lost, 0 duplicated, 0 reordered per
// person. Time to recover (fault end → everything delivered) is reported, not asserted tightly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { waitFor } from '../../support/wait.js';
import { waitDelivered } from '../resilience/harness.js';
import { expectPerfect, type FaultRig, MODES, openFaultRig, report } from './rig.js';

const STEPS = 3;
const FAULT_MS = 2_000;
const CASES = ['refused', 'unavailable', 'partition', 'slow', 'late-apply'] as const;
const PERSONS_PER_CASE = 2;

describe('partner faults in every delivery mode', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await openFaultRig({
      modes: MODES,
      persons: CASES.length * PERSONS_PER_CASE,
      redisUrl: TEST_REDIS_URL,
      partner: {
        timeoutMs: 1_000,
        retry: { maxAttempts: 100, baseDelayMs: 50, maxDelayMs: 400 },
        circuitBreaker: { failureThreshold: 3, cooldownMs: 500 },
      },
      worker: { leaseMs: 3_000, sweepIntervalMs: 300, requeueAfterMs: 500 },
    });
    await rig.startWorker('w1');
  }, 60_000);
  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
  });

  it.each(CASES.map((c, i) => [c, i] as const))(
    '%s: nothing lost, duplicated or reordered',
    async (fault, i) => {
      const people = Array.from({ length: PERSONS_PER_CASE }, (_, k) => i * PERSONS_PER_CASE + k);
      if (fault === 'refused') rig.setMode('refuse');
      if (fault === 'unavailable') rig.setMode('unavailable');
      if (fault === 'partition') rig.setMode('blackhole');
      if (fault === 'slow')
        for (const p of rig.partners) p.server.injectFaults(...Array(6).fill({ delayMs: 700 }));
      if (fault === 'late-apply')
        for (const p of rig.partners) p.proxy.holdNext(2, 2_500, (m) => m === 'POST' || m === 'PUT');

      const ids: string[] = [];
      for (let step = 1; step <= STEPS; step++)
        for (const p of rig.partners)
          for (const person of people) ids.push(await rig.submitStep(p, person, step));
      const started = Date.now();
      await new Promise((r) => setTimeout(r, FAULT_MS));
      rig.setMode('pass');
      const ended = Date.now();
      await waitDelivered(rig.t, ids, `every exchange after the ${fault} fault`, 90_000);
      const recoveredMs = Date.now() - ended;
      for (const p of rig.partners) await p.proxy.settled();

      // Journeys: person → steps, for the people of this case only.
      const journeys = Array.from({ length: rig.persons.length }, (_, k) => (people.includes(k) ? STEPS : 0));
      await expectPerfect(rig, journeys);
      const { rows } = await rig.t.sql.query(
        `SELECT x.partner_id, count(*)::int AS attempts FROM exchange_attempts a JOIN exchanges x ON x.id = a.exchange_id
        WHERE a.exchange_id = ANY($1) GROUP BY x.partner_id ORDER BY 1`,
        [ids],
      );
      report(`partner ${fault}`, {
        faultMs: ended - started,
        recoveredMs,
        attempts: Object.fromEntries(rows.map((r) => [r.partner_id, r.attempts])),
      });
      // Every late-held write reached the partner and changed nothing (judged above).
      if (fault === 'late-apply')
        await waitFor(
          async () => rig.partners.every((p) => p.proxy.held().every((h) => h.status !== undefined)),
          {
            what: 'held writes passed on',
          },
        );
      expect(recoveredMs).toBeGreaterThanOrEqual(0);
    },
    120_000,
  );
});
