// Replay after a mapping fix: the dead exchange's record is mapped again with the current mapping files.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Task } from 'fhir/r4.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartnerConfig, partnerSchema } from '../../../src/settings/app-config.js';
import { createQueues, type QueueSet } from '../../../src/delivery/queues.js';
import { type DeliveryWorkers, startDeliveryWorkers } from '../../../src/delivery/worker.js';
import { NavigatorService } from '../../../src/service/submit.js';
import { replayDeadLetter } from '../../../src/store/dead-letters.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { connectRedis, deletePrefix, randomPrefix } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { profileValidator } from '../../support/validator.js';
import { waitFor } from '../../support/wait.js';

const validator = profileValidator();

describe('dead-letter replay with remapping', () => {
  let t: TestDb;
  let trust: PartnerServer;
  let partner: PartnerConfig;
  const redis = connectRedis();
  const prefix = randomPrefix();
  let queues: QueueSet;
  let workers: DeliveryWorkers;
  const mappingsDir = path.join(mkdtempSync(path.join(tmpdir(), 'nb-remap-')), 'mappings');

  const service = () =>
    new NavigatorService({
      db: t.db,
      mappingsDir,
      enabledSites: ['leeds-north'],
      partners: [partner],
      validator,
      personKeySecret: 'remap-test-person-key-0123456789',
      enqueue: (jobs) => queues.enqueue(jobs),
      now: () => new Date('2025-06-10T12:00:00Z'),
    });

  beforeAll(async () => {
    cpSync('mappings', mappingsDir, { recursive: true });
    t = await createTestDb();
    trust = await startPartnerServer({ name: 'trust' });
    partner = partnerSchema.parse({
      id: 'leeds-trust',
      name: 'Leeds trust',
      kind: 'trust',
      odsCodes: ['RGD'],
      baseUrl: trust.url,
      mode: 'transaction',
      receives: ['referral-status'],
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    });
    queues = createQueues(redis, prefix, [partner.id]);
    workers = startDeliveryWorkers({
      db: t.db,
      connect: () => connectRedis(),
      queues,
      partners: [partner],
      env: {},
      logger: pino({ level: 'silent' }),
      prefix,
      leaseMs: 10_000,
      sweepIntervalMs: 500,
      requeueAfterMs: 1_000,
    });
  });

  afterAll(async () => {
    await workers.close();
    await queues.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await trust.close();
    await t.close();
  });

  it('re-runs the current mapping for the dead exchange and delivers the new payload in order', async () => {
    const referral = recordFixture('referral');
    referral.referrer.odsCode = 'RGD';
    const s1 = service();
    const first = await s1.submit('referral', referral);
    const ex = first.exchanges.find((x) => x.partnerId === 'leeds-trust')!;
    await waitFor(async () => (await getExchange(t.db, ex.id))?.status === 'delivered', {
      what: 'referral delivered',
    });

    trust.injectFaults({ status: 422 });
    const ev = await s1.submit('event', recordFixture('event-contacted'));
    const evEx = ev.exchanges.find((x) => x.partnerId === 'leeds-trust')!;
    await waitFor(async () => (await getExchange(t.db, evEx.id))?.status === 'dead', { what: 'dead letter' });

    // The integration engineer fixes the mapping with a site override: the Task gains a description.
    writeFileSync(
      path.join(mappingsDir, 'sites', 'leeds-north', 'event.yaml'),
      'recordType: event\nresources:\n  - name: task\n    patch: |\n      $merge([$, {"description": "Mental Health Navigation referral"}])\n',
    );

    const dead = (await getExchange(t.db, evEx.id))!;
    const remapped = await service().remapExchange(dead);
    expect(remapped.mappingVersion).toMatch(/^[0-9a-f]{12}$/);
    const jobs = await replayDeadLetter(t.db, evEx.id, 'test-admin', remapped);
    await queues.enqueue(jobs);
    await waitFor(async () => (await getExchange(t.db, evEx.id))?.status === 'delivered', {
      what: 'replayed',
    });
    const [task] = trust.readAll<Task>('Task');
    expect(task?.description).toBe('Mental Health Navigation referral');
    expect(task?.businessStatus?.coding?.[0]?.code).toBe('contacted');
    const { rows } = await t.sql.query(`SELECT detail FROM audit_log WHERE target_id = $1`, [evEx.id]);
    expect(rows[0].detail).toMatchObject({ remapped: true, mappingVersion: remapped.mappingVersion });
  });
});
