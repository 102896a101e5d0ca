// The sandbox partner's `{ delayMs }` fault: the request is applied at once, its answer is held, and
// the hold ends early when the client goes away (a sender killed mid-delivery).
import type { Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_SYSTEM, taskBundle } from '../../support/exchanges.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

describe('sandbox partner: delayed answers', () => {
  let partner: PartnerServer;
  beforeAll(async () => {
    partner = await startPartnerServer({ name: 'slow' });
  });
  afterAll(async () => {
    await partner.close();
  });

  it('applies the write, then holds the answer; later requests are not held', async () => {
    partner.injectFaults({ delayMs: 60_000 });
    let answered = false;
    const slow = post(partner.url, taskBundle('ref-1', 1)).then((r) => {
      answered = true;
      return r;
    });
    await waitFor(
      async () => (await partner.search<Task>('Task', { identifier: `${TASK_SYSTEM}|ref-1` })).length === 1,
      {
        what: 'write applied while the answer is held',
      },
    );
    expect(answered).toBe(false);
    // The hold is outside the request serializer: another request is answered meanwhile.
    const fast = await post(partner.url, taskBundle('ref-2', 1));
    expect(fast.status).toBe(200);
    expect(answered).toBe(false);
    expect(partner.requestLog().map((e) => e.status)).toEqual([200, 200]);
    // Closing the server ends the hold (the client sees the connection go).
    await partner.close();
    await slow.then(
      (r) => r.text(),
      () => undefined,
    );
    partner = await startPartnerServer({ name: 'slow' });
  });

  it('a client that gives up while held does not disturb later requests or faults', async () => {
    partner.injectFaults({ delayMs: 60_000 }, { status: 503 });
    const ac = new AbortController();
    const slow = post(partner.url, taskBundle('ref-3', 1), ac.signal).catch((e: Error) => e.name);
    await waitFor(async () => partner.requestLog().length === 1, { what: 'request logged' });
    ac.abort();
    expect(await slow).toBe('AbortError');
    // The fault queue moved on: the next request gets the 503, not a hold.
    const next = await post(partner.url, taskBundle('ref-3', 2));
    expect(next.status).toBe(503);
    expect(
      (await partner.search<Task>('Task', { identifier: `${TASK_SYSTEM}|ref-3` }))[0]?.businessStatus?.text,
    ).toBe('step-1');
  });
});
