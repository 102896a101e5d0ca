// Order safety when an earlier attempt's outcome is unknown, in the modes with no version check at the
// partner (message: BaRS $process-message; the sandbox applies a message's Task as it comes). The
// person's `contacted` message is held by a proxy past navbridge's timeout (the partner will apply it
// late); meanwhile the referral is withdrawn. Superseding the timed-out exchange and sending the
// withdrawal next would let the late `contacted` land after it, and the Task would end `in-progress`
// although navbridge reported the withdrawal delivered. The rule: an exchange whose last attempt has
// an unknown outcome (timeout, connection lost, worker died) is not superseded but retried with the
// same X-Request-Id (the partner answers 409 REC_CONFLICT once it holds it), and only then may the
// person's next exchange go. Judged at the partner by the Task's version history.
import type { Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFixture } from '../../support/fixtures.js';
import type { LateProxy } from '../../support/late-proxy.js';
import type { PartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import {
  exchangeFor,
  type Harness,
  type LateRig,
  referralFromTrust,
  startLateRig,
} from '../modes/harness.js';

const ID = 'trust-msg-late';
const HOLD_MS = 3_000;

describe('message mode: a withdrawal while an earlier message’s outcome is unknown', () => {
  let trust: PartnerServer;
  let proxy: LateProxy;
  let h: Harness;
  let rig: LateRig | undefined;

  beforeAll(async () => {
    rig = await startLateRig({
      id: ID,
      mode: 'message',
      dosServiceId: '2000072489',
      timeoutMs: 800,
      receives: ['referral-status', 'support-plan', 'discharge'],
    });
    ({ trust, proxy, h } = rig);
  });
  afterAll(async () => {
    await rig?.close();
  });

  const taskHistory = async (): Promise<string[]> => {
    const tasks = trust.readAll<Task>('Task');
    expect(tasks).toHaveLength(1);
    const versions = (await trust.history<Task>('Task', tasks[0]!.id!)).reverse();
    return versions.map((v) => `${v.status}/${v.businessStatus?.coding?.[0]?.code ?? ''}`);
  };

  it('the late message is answered as a duplicate and the Task ends withdrawn', async () => {
    const referral = referralFromTrust();
    referral.sharing = { statusUpdates: true, withReferrer: true };
    const first = exchangeFor(await h.service.submit('referral', referral), ID);
    await h.waitStatus(first, 'delivered');

    proxy.holdNext(1, HOLD_MS, (m, p) => m === 'POST' && p.startsWith('/$process-message'));
    const contacted = exchangeFor(await h.service.submit('event', recordFixture('event-contacted')), ID);
    await waitFor(async () => proxy.held().length === 1, { what: 'the contacted message held' });
    const withdrawn = exchangeFor(await h.service.submit('event', recordFixture('event-withdrawn')), ID);
    await h.waitStatus(withdrawn, 'delivered', 30_000);
    await proxy.settled();

    const history = await taskHistory();
    expect(history.at(-1)?.startsWith('cancelled')).toBe(true);
    // Nothing after the withdrawal.
    expect(history.findIndex((s) => s.startsWith('cancelled'))).toBe(history.length - 1);

    // The timed-out exchange was retried (same request id), not superseded; the late copy was a duplicate.
    const x = await h.exchange(contacted);
    expect(x.status).toBe('delivered');
    const attempts = await h.attempts(contacted);
    expect(attempts[0]?.error_class).toBe('timeout');
    expect(new Set(attempts.map((a) => a.request_id)).size).toBe(1);
    expect(proxy.held()[0]?.status).toBe(409);
  }, 60_000);
});
