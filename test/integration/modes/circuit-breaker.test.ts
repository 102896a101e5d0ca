// Circuit breaker through real workers: a partner answering 503 to everything (nock injects the
// fault in front of a real sandbox server) opens its circuit (shared in PostgreSQL); when it recovers,
// a trial closes it and delayed retries are promoted instead of waiting out their backoff.
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCircuit } from '../../../src/store/circuits.js';
import { insertPersons, outboundExchange, queueExchange, taskBundle } from '../../support/exchanges.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { type Harness, partner, startHarness } from './harness.js';

const ID = 'trust-cb';

describe('circuit breaker (integration)', () => {
  let trust: PartnerServer;
  let h: Harness;

  beforeAll(async () => {
    // Importing nock switches interception on: off until a fault is injected.
    nock.restore();
    trust = await startPartnerServer({ name: 'trust' });
    h = await startHarness([
      partner({
        id: ID,
        baseUrl: trust.url,
        mode: 'transaction',
        // Long backoff: only the breaker's promotion of delayed jobs delivers quickly after recovery.
        retry: { maxAttempts: 10, baseDelayMs: 60_000, maxDelayMs: 120_000 },
        circuitBreaker: { failureThreshold: 3, cooldownMs: 200 },
      }),
    ]);
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.restore();
    await h?.close();
    await trust?.close();
  });

  it('opens after repeated 503s (nothing more is sent, nothing paused), and on recovery one trial closes it and promotes the delayed retries', async () => {
    const origin = new URL(trust.url).origin;
    nock.activate();
    const down = nock(origin)
      .persist()
      .post(/.*/)
      .reply(503, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] })
      .get(/\/metadata$/)
      .reply(503);
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      const personId = (await insertPersons(h.t))[0]!;
      const x = { partnerId: ID, sourceId: `cb-${n}`, referralId: `cb-${n}`, payload: taskBundle(`cb-${n}`) };
      ids.push(await queueExchange(h.t.db, h.queues, outboundExchange(personId, x)));
    }
    const queue = h.queues.queue(ID);
    await waitFor(async () => (await readCircuit(h.t.db, ID)).state === 'open', { what: 'circuit open' });
    // Never paused: an open circuit rate-limits the queue, which no crash can leave behind.
    expect(await queue.isPaused()).toBe(false);
    // The retries wait as delayed jobs, scheduled a backoff away.
    const waiting = await waitFor(
      async () => {
        const { rows } = await h.t.sql.query(
          `SELECT id, next_attempt_at FROM exchanges WHERE id = ANY($1) AND status = 'failed'`,
          [ids],
        );
        return rows.length >= 3 ? rows : undefined;
      },
      { what: 'failed exchanges' },
    );
    await waitFor(async () => (await queue.getDelayedCount()) >= 3, { what: 'delayed retries' });
    expect(trust.requestLog().filter((e) => e.method === 'POST')).toEqual([]);

    // Probes keep failing while the partner is down: the circuit stays open.
    await waitFor(async () => down.isDone() && (await readCircuit(h.t.db, ID)).state !== 'closed', {
      what: 'failed probes',
    });

    // Recovery. (nock cannot pass an unmatched POST made with fetch through to the real server —
    // "unusable" body — so nock is switched off entirely rather than left with no interceptors.)
    nock.cleanAll();
    nock.restore();
    await waitFor(
      async () => {
        const { rows } = await h.t.sql.query(
          `SELECT count(*)::int AS n FROM exchanges WHERE id = ANY($1) AND status = 'delivered'`,
          [ids],
        );
        return rows[0].n === ids.length;
      },
      { what: 'all delivered after recovery' },
    );
    expect((await readCircuit(h.t.db, ID)).state).toBe('closed');
    // Delivered before the backoff they were scheduled for: the delayed jobs were promoted.
    for (const w of waiting) {
      const { rows } = await h.t.sql.query(
        `SELECT started_at FROM exchange_attempts WHERE exchange_id = $1 AND outcome = 'delivered'`,
        [w.id],
      );
      expect(rows[0].started_at.getTime()).toBeLessThan(w.next_attempt_at.getTime());
    }
    expect(trust.readAll('Task')).toHaveLength(ids.length);
  });
});
