// Seeing everything, on a real `navbridge start` process (API and worker in one) with METRICS_PORT set,
// a sandbox partner that refuses the first delivery with 503: /metrics exposes every family an
// operator needs with the figures of what happened, on the probe port and behind the admin token on
// the API; the probe port's /ready says the worker is ready; bull-board at /admin/queues asks for
// the admin credential (Basic challenge), shows the partner's queue read-only with its own CSP; and
// `navbridge status` prints the partner's row.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, TEST_DATABASE_URL, TEST_MASTER_KEYS, type TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import {
  freePort,
  killAllChildren,
  REPO_ROOT,
  spawnNavbridge,
  type TempConfig,
  type WorkerProcess,
  writeTempConfig,
} from '../../support/processes.js';
import { connectRedis, deletePrefix, randomPrefix, TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

const ADMIN_TOKEN = `admin-${randomUUID()}`;

/** The value of one sample in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics, probes, the queue board and navbridge status', () => {
  let partner: PartnerServer;
  let t: TestDb;
  let config: TempConfig;
  let env: Record<string, string>;
  let port: number;
  let metricsPort: number;
  let proc: WorkerProcess;
  const prefix = randomPrefix();
  const redis = connectRedis(TEST_REDIS_URL);

  beforeAll(async () => {
    [partner, t] = await Promise.all([startPartnerServer({ name: 'gp' }), createTestDb()]);
    config = writeTempConfig({
      mappingsDir: `${REPO_ROOT}/mappings`,
      profilesDir: `${REPO_ROOT}/profiles`,
      sites: ['leeds-north'],
      worker: { queuePrefix: prefix, sweepIntervalMs: 300, requeueAfterMs: 500 },
      partners: [
        {
          id: 'gp',
          name: 'Chapel Allerton Medical Centre',
          kind: 'gp-practice',
          odsCodes: ['B86016'],
          baseUrl: partner.url,
          mode: 'transaction',
          receives: ['referral-status'],
          retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 200 },
        },
      ],
    });
    [port, metricsPort] = [await freePort(), await freePort()];
    env = {
      NAVBRIDGE_CONFIG: config.file,
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: t.schema,
      REDIS_URL: TEST_REDIS_URL,
      NAVBRIDGE_PERSON_KEY: 'operations-person-key-0123456789',
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    };
    proc = spawnNavbridge('start', ['start'], env);
    await proc.waitForLog((l) => l.event === 'worker-ready', 'worker ready', 60_000);
    await proc.waitForLog((l) => l.event === 'listening', 'listening', 60_000);
  }, 90_000);

  afterAll(async () => {
    proc?.signal('SIGTERM');
    await proc?.exited;
    await killAllChildren();
    await deletePrefix(redis, prefix).catch(() => {});
    redis.disconnect();
    config?.remove();
    await partner?.close();
    await t?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
  const probe = (path: string) =>
    fetch(`http://127.0.0.1:${metricsPort}${path}`, { signal: AbortSignal.timeout(15_000) });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('warms up before it listens: the mapping examples through the pipeline, nothing stored', async () => {
    const logs = proc.logs();
    const warmed = logs.findIndex((l) => l.event === 'warmed-up');
    expect(warmed).toBeGreaterThanOrEqual(0);
    expect(warmed).toBeLessThan(logs.findIndex((l) => l.event === 'listening'));
    const w = logs[warmed] as unknown as { records: number; mapped: number; rounds: number; ms: number };
    expect(w.records).toBeGreaterThan(0);
    expect(w.mapped).toBeGreaterThan(0);
    expect(w.mapped).toBeLessThanOrEqual(w.records);
    const stored = await t.sql.query(
      `SELECT (SELECT count(*) FROM ${t.schema}.records)::int AS records,
              (SELECT count(*) FROM ${t.schema}.exchanges)::int AS exchanges`,
    );
    expect(stored.rows[0]).toEqual({ records: 0, exchanges: 0 });
  });

  it('exposes every family with what happened: a 503, then delivery', async () => {
    partner.injectFaults({ status: 503 });
    const res = await api('/api/v1/records', {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        recordType: 'referral',
        record: { ...recordFixture('referral'), id: 'REF-OPS-1' },
      }),
    });
    expect(res.status).toBe(202);
    await waitFor(
      async () =>
        (await t.sql.query("SELECT 1 FROM exchanges WHERE partner_id = 'gp' AND status = 'delivered'"))
          .rowCount === 1,
      { what: 'delivered after one 503', timeoutMs: 30_000 },
    );
    // The worker counts an attempt after its outcome is committed: read the metrics once it has.
    let text = '';
    await waitFor(
      async () => {
        text = await (await probe('/metrics')).text();
        return (
          sample(text, 'navbridge_delivery_attempts_total', { partner: 'gp', outcome: 'delivered' }) !==
          undefined
        );
      },
      { what: 'the delivered attempt counted', timeoutMs: 30_000 },
    );
    expect(
      sample(text, 'navbridge_exchanges', { partner: 'gp', direction: 'outbound', state: 'delivered' }),
    ).toBe(1);
    expect(sample(text, 'navbridge_delivery_attempts_total', { partner: 'gp', outcome: 'delivered' })).toBe(
      1,
    );
    expect(sample(text, 'navbridge_delivery_attempts_total', { partner: 'gp', outcome: 'retry' })).toBe(1);
    expect(
      sample(text, 'navbridge_delivery_failures_total', { partner: 'gp', error_class: 'http-503' }),
    ).toBe(1);
    expect(sample(text, 'navbridge_delivery_latency_seconds_count', { partner: 'gp' })).toBe(1);
    expect(
      sample(text, 'navbridge_http_requests_total', {
        route: '/api/v1/records',
        method: 'POST',
        status: '202',
      }),
    ).toBe(1);
    expect(sample(text, 'navbridge_circuit_state', { partner: 'gp' })).toBe(0);
    expect(sample(text, 'navbridge_dead_letters', { partner: 'gp' })).toBe(0);
    expect(sample(text, 'navbridge_blocked_exchanges', { partner: 'gp' })).toBe(0);
    expect(sample(text, 'navbridge_oldest_undelivered_age_seconds', { partner: 'gp' })).toBe(0);
    expect(sample(text, 'navbridge_queue_jobs', { partner: 'gp', state: 'waiting' })).toBe(0);
    // The fixture's referral was received in 2025 and nobody has contacted the person: a breach.
    expect(sample(text, 'navbridge_service_clock_breaches', { site: 'leeds-north', clock: 'contact' })).toBe(
      1,
    );
    expect(sample(text, 'navbridge_up', { source: 'postgres' })).toBe(1);
    expect(sample(text, 'navbridge_up', { source: 'redis' })).toBe(1);
    expect(text).toContain('# TYPE navbridge_mapping_failures gauge');
    expect(sample(text, 'navbridge_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('navbridge_nodejs_eventloop_lag_seconds');
    // Ids and codes only: no patient data in any label.
    expect(text).not.toContain(recordFixture('referral').person.nhsNumber);
  }, 60_000);

  it('/metrics on the API needs the admin token; the probe port answers /health and /ready', async () => {
    expect((await api('/metrics')).status).toBe(401);
    const m = await api('/metrics', { headers: admin });
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await m.text()).toContain('navbridge_exchanges');
    expect(await (await probe('/health')).json()).toEqual({ status: 'ok' });
    const ready = await probe('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      worker: 'ready',
      redis: 'ok',
      postgres: 'ok',
    });
  });

  it('bull-board at /admin/queues: a Basic challenge, the admin token as password, read-only, its own CSP', async () => {
    const none = await api('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="navbridge admin"/);
    const wrong = await api('/admin/queues', {
      headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    const page = await api('/admin/queues', {
      headers: { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('navbridge queues');
    const queues = await api('/admin/queues/api/queues', { headers: admin });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => [q.name, q.readOnlyMode])).toEqual([['gp', true]]);
  });

  it('navbridge status prints a row per partner', async () => {
    const status = spawnNavbridge('status', ['status'], env);
    expect(await status.exited, status.output()).toEqual({ code: 0, signal: null });
    const lines = status.output().split('\n');
    const header = lines.find((l) => l.startsWith('PARTNER'));
    expect(header).toMatch(
      /PENDING\s+IN FLIGHT\s+DELIVERED TODAY\s+FAILED\s+DEAD\s+BLOCKED\s+CIRCUIT\s+OLDEST UNDELIVERED/,
    );
    const row = lines.find((l) => l.startsWith('gp '));
    expect(row?.trim().split(/\s+/)).toEqual(['gp', '0', '0', '1', '0', '0', '0', 'closed', '-']);
    const json = spawnNavbridge('status', ['status', '--json'], env);
    expect((await json.exited).code).toBe(0);
    expect(
      JSON.parse(
        json
          .output()
          .split('\n')
          .find((l) => l.startsWith('{"partner"')) ?? '{}',
      ),
    ).toMatchObject({
      partner: 'gp',
      deliveredToday: 1,
      circuit: 'closed',
      queue: { waiting: 0, delayed: 0, active: 0 },
    });
  }, 60_000);
});
