// The worker's clock jumps (NTP step, VM resume): the delivery workers run in this process and
// Date is driven (vitest fake Date, advancing with real time; timers stay real), while PostgreSQL —
// where leases and claims are decided — keeps true time. A retry scheduled while the clock was two
// hours ahead must not wait two hours once it steps back; a jump forward must not release a live
// lease or reorder anything. Judged at the partner by each person's Task history.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getExchange } from '../../../src/store/exchanges.js';
import { insertPersons, outboundExchange, queueExchange, taskBundle } from '../../support/exchanges.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { collapseRepeats, partnerEntry, stepNames, stepsSeen } from '../resilience/harness.js';

const HOURS_2 = 2 * 60 * 60 * 1000;

describe('a clock jump on the worker', () => {
  let partner: PartnerServer;
  let nb: TestNavbridge;
  let persons: string[];

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    nb = await buildTestNavbridge({
      delivery: 'workers',
      partners: [
        partnerEntry('trust', partner.url, {
          retry: { maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 400 },
        }),
      ],
      worker: { leaseMs: 2_000, sweepIntervalMs: 300, requeueAfterMs: 500 },
    });
    persons = await insertPersons(nb.t, 4);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    vi.useRealTimers();
    await nb?.close();
    await partner?.close();
  });

  const submit = (p: number, step: number) =>
    queueExchange(
      nb.t.db,
      nb.queues!,
      outboundExchange(persons[p]!, {
        partnerId: 'trust',
        referralId: `ref-${p}`,
        payload: taskBundle(`ref-${p}`, step),
      }),
    );
  const delivered = (id: string, what: string, timeoutMs = 30_000) =>
    waitFor(async () => (await getExchange(nb.t.db, id))?.status === 'delivered', { what, timeoutMs });

  it('a retry scheduled two hours ahead runs once the clock steps back (not two hours later)', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + HOURS_2);
    partner.injectFaults({ status: 503, retryAfterSeconds: 1 });
    const first = await submit(0, 1);
    await waitFor(async () => (await getExchange(nb.t.db, first))?.status === 'failed', {
      what: 'the first attempt failed and its retry scheduled',
    });
    // The clock steps back to true time while the retry waits.
    vi.useRealTimers();
    const steppedBack = Date.now();
    const rest = [await submit(0, 2), await submit(0, 3)];
    await delivered(rest[1]!, 'every step after the clock stepped back');
    console.log(`[faults] clock stepped back 2 h: recovered in ${Date.now() - steppedBack} ms`);
    const seen = await stepsSeen(partner, 0);
    expect(seen.tasks).toBe(1);
    expect(collapseRepeats(seen.steps)).toEqual(stepNames(3));
  }, 60_000);

  it('a jump forward mid-delivery releases no live lease and reorders nothing', async () => {
    partner.injectFaults({ delayMs: 1_500 });
    const ids = [await submit(1, 1), await submit(1, 2), await submit(2, 1), await submit(2, 2)];
    await waitFor(async () => (await getExchange(nb.t.db, ids[0]!))?.status === 'in-flight', {
      what: 'the first delivery in flight',
    });
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + HOURS_2);
    for (const id of ids) await delivered(id, 'every exchange after the jump forward');
    vi.useRealTimers();
    expect((await getExchange(nb.t.db, ids[0]!))?.attemptCount).toBe(1);
    for (const p of [1, 2]) {
      const seen = await stepsSeen(partner, p);
      expect(seen).toEqual({ tasks: 1, steps: stepNames(2) });
    }
  }, 60_000);
});
