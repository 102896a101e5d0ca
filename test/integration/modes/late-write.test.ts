// A partner that applies a write after navbridge's timeout must never end with an older state than
// the last one sent. The trust sits behind a proxy that holds the `contacted` write past the timeout
// and applies it only after the person's later steps were delivered. Every write is conditional on
// the version the partner last returned (If-Match), so the late one is refused (412) and the Task ends
// where the journey ended. Judged at the partner, by the Task's version history.
import type { Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFixture } from '../../support/fixtures.js';
import type { LateProxy } from '../../support/late-proxy.js';
import type { PartnerServer } from '../../support/sandbox/partner-server.js';
import { exchangeFor, type Harness, type LateRig, referralFromTrust, startLateRig } from './harness.js';

const ID = 'trust-late';
const HOLD_MS = 4_000;

describe('a partner that applies a write late', () => {
  let trust: PartnerServer;
  let proxy: LateProxy;
  let h: Harness;
  let rig: LateRig | undefined;

  beforeAll(async () => {
    rig = await startLateRig({
      id: ID,
      mode: 'transaction',
      timeoutMs: 1_000,
      receives: ['referral-status', 'support-plan', 'discharge'],
    });
    ({ trust, proxy, h } = rig);
  });
  afterAll(async () => {
    await rig?.close();
  });

  const deliver = async (recordType: 'referral' | 'event', record: unknown) => {
    const id = exchangeFor(await h.service.submit(recordType, record), ID);
    return h.waitStatus(id, 'delivered', 30_000);
  };

  const taskCodes = async (): Promise<string[]> => {
    const [task] = trust.readAll<Task>('Task');
    const versions = (await trust.history<Task>('Task', task!.id!)).reverse();
    return versions.map((v) => v.businessStatus?.coding?.[0]?.code ?? v.status);
  };

  it('refuses the late write (412 at the partner): the Task ends with the last state, not an older one', async () => {
    const referral = referralFromTrust();
    referral.sharing = { statusUpdates: true, withReferrer: true };
    await deliver('referral', referral);

    // The contacted write is held past the timeout; its retry goes through at once.
    proxy.holdNext(1, HOLD_MS, (method, path) => method === 'POST' && (path === '/' || path === ''));
    const contacted = await deliver('event', recordFixture('event-contacted'));
    expect(contacted.attemptCount).toBe(2);
    await deliver('event', recordFixture('event-assessment-completed'));
    await deliver('event', recordFixture('event-plan-agreed'));
    await deliver('event', recordFixture('event-discharged'));
    const before = await taskCodes();

    // Now the held write reaches the partner, after everything else.
    await proxy.settled();
    const [late] = proxy.held();
    expect(late?.appliedAt).toBeDefined();
    expect(late?.status).toBe(412);
    const after = await taskCodes();
    expect(after).toEqual(before);
    expect(after.at(-1)).toBe('discharged');
    expect(trust.readAll<Task>('Task')[0]?.status).toBe('completed');
    // Each state once and in order: the late write changed nothing.
    expect(after.filter((c, i) => c !== after[i - 1])).toEqual([
      'accepted',
      'contacted',
      'assessment-completed',
      'plan-agreed',
      'discharged',
    ]);
  }, 60_000);
});
