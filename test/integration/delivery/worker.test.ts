// Delivery workers against a real partner FHIR server, real PostgreSQL and real Redis. Faults are
// injected by the sandbox server (503, 429 with Retry-After, dropped connections) and by stopping it.
import { randomUUID } from 'node:crypto';
import type { Task } from 'fhir/r4.js';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, type QueueSet } from '../../../src/delivery/queues.js';
import { type DeliveryWorkers, startDeliveryWorkers } from '../../../src/delivery/worker.js';
import { type PartnerConfig, partnerSchema } from '../../../src/settings/app-config.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import {
  deliveredCount,
  insertPersons,
  outboundExchange,
  queueExchange,
  TASK_SYSTEM,
  taskBundle,
} from '../../support/exchanges.js';
import { connectRedis, deletePrefix, randomPrefix } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

/** The person's Task step as a transaction Bundle, under a Task id fixed per person. */
const personTask = (personNo: number, step: number) =>
  taskBundle(`ref-${personNo}`, step, `00000000-0000-4000-8000-${String(personNo).padStart(12, '0')}`);

describe('delivery workers', () => {
  let t: TestDb;
  let partner: PartnerServer;
  let cfg: PartnerConfig;
  const redis = connectRedis();
  const prefix = randomPrefix();
  let queues: QueueSet;
  let workers: DeliveryWorkers | undefined;
  let persons: string[] = [];

  beforeAll(async () => {
    t = await createTestDb();
    partner = await startPartnerServer({ name: 'trust' });
    cfg = partnerSchema.parse({
      id: 'trust-a',
      name: 'Trust A',
      kind: 'trust',
      baseUrl: partner.url,
      mode: 'transaction',
      receives: ['referral-status'],
      concurrency: 4,
      timeoutMs: 2_000,
      retry: { maxAttempts: 20, baseDelayMs: 20, maxDelayMs: 200 },
      circuitBreaker: { failureThreshold: 50, cooldownMs: 200 },
    });
    queues = createQueues(redis, prefix, [cfg.id]);
    persons = await insertPersons(t, 4);
  });

  afterEach(async () => {
    await workers?.close();
    workers = undefined;
  });

  afterAll(async () => {
    await queues.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await partner.close();
    await t.close();
  });

  function start(): DeliveryWorkers {
    return startDeliveryWorkers({
      db: t.db,
      connect: () => connectRedis(),
      queues,
      partners: [cfg],
      partnerAuth: {},
      logger: pino({ level: 'silent' }),
      prefix,
      leaseMs: 5_000,
      sweepIntervalMs: 200,
      requeueAfterMs: 300,
    });
  }

  function submit(personIdx: number, step: number): Promise<string> {
    return queueExchange(
      t.db,
      queues,
      outboundExchange(persons[personIdx]!, {
        partnerId: cfg.id,
        sourceId: `ev-${personIdx}-${step}-${randomUUID()}`,
        referralId: `ref-${personIdx}`,
        payload: personTask(personIdx, step),
      }),
    );
  }

  async function allDelivered(ids: string[]): Promise<boolean> {
    return (await deliveredCount(t, ids)) === ids.length;
  }

  async function stepsSeen(personIdx: number): Promise<string[]> {
    const [task] = await partner.search<Task>('Task', { identifier: `${TASK_SYSTEM}|ref-${personIdx}` });
    if (!task?.id) return [];
    const history = await partner.history<Task>('Task', task.id);
    return history.map((h) => h.businessStatus?.text ?? '').reverse();
  }

  it('delivers every exchange once, in per-person order, through 503s, 429 with Retry-After and dropped connections', async () => {
    partner.reset();
    partner.injectFaults(
      { status: 503 },
      { status: 429, retryAfterSeconds: 1 },
      { dropConnection: true },
      { status: 503 },
    );
    const ids: string[] = [];
    for (let step = 1; step <= 4; step++) {
      for (let p = 0; p < 3; p++) ids.push(await submit(p, step));
    }
    workers = start();
    await waitFor(() => allDelivered(ids), { what: 'all exchanges delivered', timeoutMs: 30_000 });
    for (let p = 0; p < 3; p++) {
      expect(await partner.search('Task', { identifier: `${TASK_SYSTEM}|ref-${p}` })).toHaveLength(1);
      expect(await stepsSeen(p)).toEqual(['step-1', 'step-2', 'step-3', 'step-4']);
    }
    const { rows } = await t.sql.query(
      `SELECT a.outcome, a.error_class FROM exchange_attempts a WHERE a.exchange_id = ANY($1) AND a.outcome = 'retry'`,
      [ids],
    );
    expect(rows.map((r) => r.error_class).sort()).toEqual(
      ['http-429', 'http-503', 'http-503', 'network'].sort(),
    );
  });

  it('a partner that refuses connections receives everything after it comes back', async () => {
    const port = Number(new URL(partner.url).port);
    const stepsBefore = await stepsSeen(3);
    await partner.close();
    const ids = [await submit(3, 10), await submit(3, 11)];
    workers = start();
    await waitFor(
      async () => {
        const x = await getExchange(t.db, ids[0]!);
        return x && x.attemptCount >= 2;
      },
      { what: 'failed attempts while the partner is down' },
    );
    expect((await getExchange(t.db, ids[0]!))?.status).not.toBe('delivered');
    partner = await startPartnerServer({ name: 'trust', port });
    await waitFor(() => allDelivered(ids), { what: 'delivery after recovery', timeoutMs: 30_000 });
    expect(stepsBefore).toEqual([]);
    expect(await stepsSeen(3)).toEqual(['step-10', 'step-11']);
  });

  it('a 422 dead-letters at once with the partner OperationOutcome and blocks only that person', async () => {
    partner.reset();
    partner.injectFaults({ status: 422 });
    workers = start();
    const a = await submit(0, 20);
    await waitFor(async () => (await getExchange(t.db, a))?.status === 'dead', { what: 'dead letter' });
    const b = await submit(0, 21);
    const other = await submit(1, 20);
    await waitFor(() => allDelivered([other]), { what: 'other person delivered' });
    expect((await getExchange(t.db, b))?.status).toBe('blocked');
    const dead = await getExchange(t.db, a);
    expect(dead?.attemptCount).toBe(1);
    expect(dead?.lastError?.resourceType).toBe('OperationOutcome');
  });
});
