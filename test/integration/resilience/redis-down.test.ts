// Redis down under real `serve` and `worker` processes (a private redis-server, killed and started
// again): /health (liveness) still answers, /ready answers 503 naming Redis, POST /api/v1/records
// stores the record and answers 202 as usual (its exchange waits in PostgreSQL), `serve` stops on
// SIGTERM with a request stuck mid-body, and once Redis is back a worker's sweeper queues what was
// stored and delivers it; a worker stops on SIGTERM while Redis is down. Every request has a client
// deadline far beyond the 2 s promised, so a request that waits for the outage fails the test.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, TEST_DATABASE_URL, TEST_MASTER_KEYS, type TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import {
  freePort,
  killAllChildren,
  REPO_ROOT,
  type RedisServer,
  spawnNavbridge,
  spawnWorker,
  startRedisServer,
  type TempConfig,
  type WorkerProcess,
  writeTempConfig,
} from '../../support/processes.js';
import { randomPrefix } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

const ADMIN_TOKEN = `admin-${randomUUID()}`;
const CLIENT_DEADLINE_MS = 10_000;

describe('Redis down under serve and worker processes', () => {
  let redis: RedisServer;
  let partner: PartnerServer;
  let t: TestDb;
  let config: TempConfig;
  let env: Record<string, string>;
  let port: number;
  let serve: WorkerProcess;
  const base = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    [redis, partner, t] = await Promise.all([
      startRedisServer(),
      startPartnerServer({ name: 'gp' }),
      createTestDb(),
    ]);
    config = writeTempConfig({
      mappingsDir: `${REPO_ROOT}/mappings`,
      profilesDir: `${REPO_ROOT}/profiles`,
      sites: ['leeds-north'],
      worker: { queuePrefix: randomPrefix(), sweepIntervalMs: 300, requeueAfterMs: 500 },
      partners: [
        {
          id: 'gp',
          name: 'Chapel Allerton Medical Centre',
          kind: 'gp-practice',
          odsCodes: ['B86016'],
          baseUrl: partner.url,
          mode: 'transaction',
          receives: ['referral-status'],
        },
      ],
    });
    port = await freePort();
    env = {
      NAVBRIDGE_CONFIG: config.file,
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: t.schema,
      REDIS_URL: redis.url,
      NAVBRIDGE_PERSON_KEY: 'redis-down-person-key-0123456789',
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      PORT: String(port),
    };
    serve = spawnNavbridge('serve', ['serve'], env);
    await serve.waitForLog((l) => l.event === 'listening', 'listening', 60_000);
  }, 90_000);

  afterAll(async () => {
    await killAllChildren();
    config?.remove();
    await partner?.close();
    await t?.close();
  });

  async function call(path: string, body?: unknown) {
    const started = Date.now();
    const res = await fetch(`${base()}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CLIENT_DEADLINE_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: Date.now() - started };
  }

  const referral = (id: string) => ({ recordType: 'referral', record: { ...recordFixture('referral'), id } });
  const exchangesOf = async (sourceId: string) =>
    (
      await t.sql.query<{ status: string }>(
        "SELECT status FROM exchanges WHERE source_id = $1 AND record_type = 'referral'",
        [sourceId],
      )
    ).rows.map((r) => r.status);

  it('answers as usual while Redis is down, stops on SIGTERM with a stuck request, and the sweeper delivers later', async () => {
    const up = await call('/api/v1/records', referral('REF-UP-1'));
    expect(up.status, JSON.stringify(up.body)).toBe(202);
    expect((await call('/ready')).status).toBe(200);
    expect((await call('/admin/queues/api/queues')).status).toBe(200);

    await redis.kill();
    const health = await call('/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await call('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not-ready', redis: 'unavailable', postgres: 'ok' });
    // The queue board's Redis calls have no timeout of their own: it answers 503 at once instead.
    const board = await call('/admin/queues/api/queues');
    expect(board.status).toBe(503);
    expect(board.body.issue[0].details.coding[0].code).toBe('SERVICE_UNAVAILABLE');
    const down = await call('/api/v1/records', referral('REF-DOWN-1'));
    expect(down.status, JSON.stringify(down.body)).toBe(202);
    // Stored, and waiting in PostgreSQL for the sweeper.
    expect(await exchangesOf('REF-DOWN-1')).toEqual(['pending']);
    console.info(
      `Redis down: /health ${health.ms} ms, /ready ${ready.ms} ms (503), POST /api/v1/records ${down.ms} ms (202)`,
    );

    // A request stuck mid-body, then SIGTERM: serve still stops, and says so with exit 0.
    const stuck = net.connect(port, '127.0.0.1');
    stuck.on('error', () => {});
    await new Promise<void>((r) => stuck.once('connect', () => r()));
    stuck.write(
      `POST /api/v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"recordType":',
    );
    const stopping = Date.now();
    serve.signal('SIGTERM');
    expect(await serve.exited, serve.output().slice(-2_000)).toEqual({ code: 0, signal: null });
    console.info(`serve stopped ${Date.now() - stopping} ms after SIGTERM (Redis down, one request stuck)`);
    stuck.destroy();

    // Redis back (empty): a worker's sweeper queues what the API stored, and it is delivered.
    await redis.start();
    const worker = spawnWorker('worker', env);
    await worker.waitForLog((l) => l.event === 'worker-ready', 'worker ready', 60_000);
    await waitFor(async () => (await exchangesOf('REF-DOWN-1'))[0] === 'delivered', {
      what: 'the exchange stored while Redis was down delivered',
      timeoutMs: 40_000,
    });
    expect(await exchangesOf('REF-UP-1')).toEqual(['delivered']);

    // Redis down again, then SIGTERM to the worker: it stops (within the documented bound).
    await redis.kill();
    const workerStopping = Date.now();
    worker.signal('SIGTERM');
    expect(await worker.exited, worker.output().slice(-2_000)).toEqual({ code: 0, signal: null });
    console.info(`worker stopped ${Date.now() - workerStopping} ms after SIGTERM (Redis down)`);
  }, 180_000);
});
