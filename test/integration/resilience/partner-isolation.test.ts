// One worker process, three partners: a healthy one, one answering 503 to everything and one that
// accepts connections and never answers (timeouts). The healthy partner receives all its exchanges,
// in order, while the other two are still being retried: one queue per partner, no head-of-line
// blocking across partners.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren } from '../../support/processes.js';
import { TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { openRig, partnerEntry, type Rig, stepNames, stepsSeen, waitDelivered } from './harness.js';

const PEOPLE = 10;
const STEPS = 3;

/** Accepts TCP connections and never answers. */
async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/fhir`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a failing partner does not delay another', () => {
  let healthy: PartnerServer;
  let failing: PartnerServer;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let rig: Rig;

  beforeAll(async () => {
    [healthy, failing, hole] = await Promise.all([
      startPartnerServer({ name: 'healthy' }),
      startPartnerServer({ name: 'failing' }),
      blackHole(),
    ]);
    failing.injectFaults(...Array.from({ length: 10_000 }, () => ({ status: 503 })));
    const breaker = { circuitBreaker: { failureThreshold: 3, cooldownMs: 500 } };
    rig = await openRig(
      {
        partners: [
          partnerEntry('healthy', healthy.url),
          partnerEntry('failing', failing.url, breaker),
          partnerEntry('slow', hole.url, { ...breaker, timeoutMs: 800 }),
        ],
        redisUrl: TEST_REDIS_URL,
      },
      PEOPLE,
    );
  });

  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
    await Promise.all([healthy?.close(), failing?.close(), hole?.close()]);
  });

  it('delivers everything to the healthy partner while the others are still retried', async () => {
    const worker = await rig.startWorker('w');
    const ids: Record<string, string[]> = { healthy: [], failing: [], slow: [] };
    for (let step = 1; step <= STEPS; step++) {
      for (let p = 0; p < PEOPLE; p++) {
        for (const partner of Object.keys(ids)) ids[partner]!.push(await rig.submit(partner, p, step));
      }
    }
    await waitDelivered(rig.t, ids.healthy!, 'healthy partner: everything delivered');
    for (let p = 0; p < PEOPLE; p++) {
      expect(await stepsSeen(healthy, p)).toEqual({ tasks: 1, steps: stepNames(STEPS) });
    }

    // The others keep being retried (more than one attempt), and nothing reached them.
    const retried = (partner: string, errorClass: string) =>
      waitFor(
        async () => {
          const { rows } = await rig.t.sql.query(
            `SELECT count(*)::int AS n FROM exchange_attempts a JOIN exchanges x ON x.id = a.exchange_id
              WHERE x.partner_id = $1 AND a.outcome = 'retry' AND a.error_class = $2`,
            [partner, errorClass],
          );
          return rows[0].n >= 2;
        },
        { what: `${partner}: retried after ${errorClass}` },
      );
    await retried('failing', 'http-503');
    await retried('slow', 'timeout');
    const { rows } = await rig.t.sql.query(
      `SELECT partner_id, status, count(*)::int AS n FROM exchanges GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const unsettled = rows.filter((r) => r.partner_id !== 'healthy');
    expect(unsettled.every((r) => ['pending', 'failed', 'in-flight'].includes(r.status))).toBe(true);
    expect(unsettled.reduce((n, r) => n + r.n, 0)).toBe(2 * PEOPLE * STEPS);
    expect(failing.readAll('Task')).toHaveLength(0);

    // While the unanswering partner held requests open, healthy deliveries completed.
    const overlap = await rig.t.sql.query(
      `SELECT count(*)::int AS n FROM exchange_attempts h JOIN exchanges hx ON hx.id = h.exchange_id
        WHERE hx.partner_id = 'healthy' AND h.outcome = 'delivered' AND EXISTS (
          SELECT 1 FROM exchange_attempts s JOIN exchanges sx ON sx.id = s.exchange_id
           WHERE sx.partner_id = 'slow' AND s.started_at < h.finished_at
             AND (s.finished_at IS NULL OR s.finished_at > h.finished_at))`,
    );
    expect(overlap.rows[0].n).toBeGreaterThan(0);

    worker.signal('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});
