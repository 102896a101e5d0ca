// A `navbridge worker` process killed with SIGKILL while the partner holds its request (the partner has
// already applied it), twice in a row for the same exchange: the next worker retries it after the
// lease expires with the same X-Request-Id and the same conditional update, so nothing is lost, the
// partner ends with one Task per person in order, and the attempt rows show the abandoned attempts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExchange } from '../../../src/store/exchanges.js';
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

const PEOPLE = 4;
const STEPS = 3;

describe('worker process killed mid-delivery', () => {
  let partner: PartnerServer;
  let rig: Rig;

  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'trust' });
    // The held request is killed long before its timeout; the lease outlives the timeout.
    rig = await openRig(
      {
        partners: [partnerEntry('trust', partner.url, { timeoutMs: 1_500 })],
        redisUrl: TEST_REDIS_URL,
        worker: { leaseMs: 2_000 },
      },
      PEOPLE,
    );
  });

  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await partner?.close();
  });

  /** Requests for one exchange, by its X-Request-Id. */
  const postsWith = (requestId: string) =>
    transactionPosts(partner).filter((e) => e.headers['x-request-id'] === requestId);

  async function killWhenHeld(worker: WorkerProcess, requestId: string, n: number): Promise<void> {
    await waitFor(async () => postsWith(requestId).length === n, {
      what: `request ${n} of the held exchange at the partner`,
    });
    worker.signal('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');
  }

  it('loses nothing and duplicates nothing when killed twice while the partner holds the answer', async () => {
    // Person 0's first exchange is held by the partner (applied, answer not yet sent); the steps behind
    // it wait in PostgreSQL, not on the queue.
    partner.injectFaults({ delayMs: 60_000 });
    const byPerson: string[][] = Array.from({ length: PEOPLE }, () => []);
    for (let step = 1; step <= STEPS; step++) byPerson[0]!.push(await rig.submit('trust', 0, step));
    const held = byPerson[0]![0]!;
    const heldRequestId = (await getExchange(rig.t.db, held))!.requestId!;
    const w1 = await rig.startWorker('w1');
    await waitFor(async () => postsWith(heldRequestId).length === 1, { what: 'first request held' });
    // The next worker starts meanwhile (it cannot take an unexpired lease); its retry is held too.
    partner.injectFaults({ delayMs: 60_000 });
    const w2 = rig.worker('w2');
    await killWhenHeld(w1, heldRequestId, 1);
    expect((await getExchange(rig.t.db, held))?.status).toBe('in-flight');
    await killWhenHeld(w2, heldRequestId, 2);
    const w3 = rig.worker('w3');

    // Everyone else's work arrives meanwhile; a third worker does it all.
    for (let step = 1; step <= STEPS; step++) {
      for (let p = 1; p < PEOPLE; p++) byPerson[p]!.push(await rig.submit('trust', p, step));
    }
    const ids = byPerson.flat();
    await waitDelivered(rig.t, ids, 'every exchange after two crashes');

    // The partner: one Task per person, every state once and in order — except person 0's first: the
    // held create was applied; the second attempt's create (its worker killed too) found the Task and
    // changed nothing; the third's found it as well and was sent again as a conditional update of the
    // version the partner reported (If-Match), so step-1 shows twice, same content.
    for (let p = 0; p < PEOPLE; p++) {
      const seen = await stepsSeen(partner, p);
      expect(seen.tasks).toBe(1);
      expect(collapseRepeats(seen.steps)).toEqual(stepNames(STEPS));
      expect(seen.steps).toEqual(p === 0 ? ['step-1', ...stepNames(STEPS)] : stepNames(STEPS));
    }
    expect(partner.readAll('Task')).toHaveLength(PEOPLE);
    // Three attempts, and the third attempt's update after its create found the Task.
    expect(postsWith(heldRequestId)).toHaveLength(4);
    expect(transactionPosts(partner)).toHaveLength(PEOPLE * STEPS + 3);
    // Every request id reached the partner once, except the held exchange's (reused by its retries).
    const requestIds = transactionPosts(partner).map((e) => e.headers['x-request-id']);
    expect(new Set(requestIds).size).toBe(PEOPLE * STEPS);

    // PostgreSQL: two abandoned attempts then the delivery, all with the same request id.
    const heldAttempts = await attemptsOf(rig.t, [held]);
    expect(heldAttempts.map((a) => [a.attempt_no, a.outcome])).toEqual([
      [1, 'abandoned'],
      [2, 'abandoned'],
      [3, 'delivered'],
    ]);
    expect(new Set(heldAttempts.map((a) => a.request_id))).toEqual(new Set([heldRequestId]));
    const rest = await attemptsOf(
      rig.t,
      ids.filter((id) => id !== held),
    );
    expect(rest.map((a) => a.outcome)).toEqual(Array(ids.length - 1).fill('delivered'));
    expect((await getExchange(rig.t.db, held))?.attemptCount).toBe(3);

    w3.signal('SIGTERM');
    expect(await w3.exited).toEqual({ code: 0, signal: null });
  });
});
