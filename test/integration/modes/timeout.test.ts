// A partner that answers too slowly: nock (which intercepts Node's fetch, as navbridge's partner client uses)
// produces its response only after partner.timeoutMs; the attempt is classified `timeout` and retried, and the
// exchange is delivered to the real sandbox server once the fault is removed.
import type { Task } from 'fhir/r4.js';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { exchangeFor, type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const ID = 'trust-slow';
const TIMEOUT_MS = 300;

describe('partner timeouts', () => {
  let trust: PartnerServer;
  let h: Harness;

  beforeAll(async () => {
    // Importing nock switches interception on: off until the fault is injected.
    nock.restore();
    trust = await startPartnerServer({ name: 'trust' });
    h = await startHarness([
      partner({
        id: ID,
        baseUrl: trust.url,
        mode: 'transaction',
        timeoutMs: TIMEOUT_MS,
        retry: { maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 200 },
      }),
    ]);
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.restore();
    await h?.close();
    await trust?.close();
  });

  it('classifies a response slower than timeoutMs as `timeout`, retries, and delivers once it answers', async () => {
    nock.activate();
    nock(new URL(trust.url).origin)
      .persist()
      .post(/.*/)
      // Not .delay(): in nock 15.0.0 a delayed reply to fetch ignores the request's AbortSignal, so the
      // client would wait it out. A reply that is slow to produce does honour the abort.
      .reply(async () => {
        await new Promise((r) => setTimeout(r, TIMEOUT_MS * 5));
        return [200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] }];
      });
    const id = exchangeFor(await h.service.submit('referral', referralFromTrust()), ID);
    await waitFor(async () => (await h.attempts(id)).filter((a) => a.error_class === 'timeout').length >= 2, {
      what: 'timed-out attempts',
    });
    expect((await h.exchange(id)).status).not.toBe('delivered');
    expect(trust.readAll('Task')).toHaveLength(0);

    nock.cleanAll();
    nock.restore();
    const x = await h.waitStatus(id, 'delivered');
    const attempts = await h.attempts(id);
    expect(attempts.at(-1)?.outcome).toBe('delivered');
    const failed = attempts.slice(0, -1).filter((a) => a.outcome !== 'abandoned');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((a) => a.outcome === 'retry' && a.error_class === 'timeout')).toBe(true);
    // A retry of a transient failure keeps the request id.
    expect(new Set(attempts.map((a) => a.request_id)).size).toBe(1);
    expect(x.attemptCount).toBe(attempts.length);
    expect(trust.readAll<Task>('Task')).toHaveLength(1);
  });
});
