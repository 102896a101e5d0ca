// Replay after a mapping fix: the dead exchange's record is mapped again with the current mapping files.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExchange } from '../../../src/store/exchanges.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

describe('dead-letter replay with remapping', () => {
  let t: TestDb;
  let trust: PartnerServer;
  let partner: Record<string, unknown>;
  const opened: TestNavbridge[] = [];
  const mappingsDir = path.join(mkdtempSync(path.join(tmpdir(), 'nb-remap-')), 'mappings');

  /** navbridge on the shared schema and mappings folder, as a process (re)started now would load it. */
  const start = async (delivery: 'workers' | 'queues') => {
    const nb = await buildTestNavbridge({
      db: t,
      mappingsDir,
      config: { sites: ['leeds-north'] },
      partners: [partner],
      delivery,
      clock: () => new Date('2025-06-10T12:00:00Z'),
    });
    opened.push(nb);
    return nb;
  };

  beforeAll(async () => {
    cpSync('mappings', mappingsDir, { recursive: true });
    t = await createTestDb();
    trust = await startPartnerServer({ name: 'trust' });
    partner = {
      id: 'leeds-trust',
      name: 'Leeds trust',
      kind: 'trust',
      odsCodes: ['RGD'],
      baseUrl: trust.url,
      mode: 'transaction',
      receives: ['referral-status'],
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    };
  });

  afterAll(async () => {
    for (const nb of opened) await nb.close();
    await trust.close();
    await t.close();
  });

  it('re-runs the current mapping for the dead exchange and delivers the new payload in order', async () => {
    const referral = recordFixture('referral');
    referral.referrer.odsCode = 'RGD';
    const first = await start('workers');
    const s1 = first.navbridge;
    const submitted = await s1.submitRecord(undefined, 'referral', referral);
    const ex = submitted.exchanges.find((x) => x.partnerId === 'leeds-trust')!;
    await waitFor(async () => (await getExchange(t.db, ex.id))?.status === 'delivered', {
      what: 'referral delivered',
    });

    trust.injectFaults({ status: 422 });
    const ev = await s1.submitRecord(undefined, 'event', recordFixture('event-contacted'));
    const evEx = ev.exchanges.find((x) => x.partnerId === 'leeds-trust')!;
    await waitFor(async () => (await getExchange(t.db, evEx.id))?.status === 'dead', { what: 'dead letter' });

    // The integration engineer fixes the mapping with a site override: the Task gains a description.
    writeFileSync(
      path.join(mappingsDir, 'sites', 'leeds-north', 'event.yaml'),
      'recordType: event\nresources:\n  - name: task\n    patch: |\n      $merge([$, {"description": "Mental Health Navigation referral"}])\n',
    );

    // The admin replays it, re-mapped, from a navbridge restarted with the fixed mapping.
    const fixed = await start('queues');
    expect(await fixed.navbridge.replayDeadLetters(ADMIN, { id: evEx.id }, { remap: true })).toEqual({
      replayed: [evEx.id],
    });
    await waitFor(async () => (await getExchange(t.db, evEx.id))?.status === 'delivered', {
      what: 'replayed',
    });
    const [task] = trust.readAll<Task>('Task');
    expect(task?.description).toBe('Mental Health Navigation referral');
    expect(task?.businessStatus?.coding?.[0]?.code).toBe('contacted');
    const { rows } = await t.sql.query(
      `SELECT detail FROM audit_log WHERE target_id = $1 AND action = 'replay'`,
      [evEx.id],
    );
    expect(rows[0].detail).toMatchObject({
      remapped: true,
      mappingVersion: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(rows[0].detail.mappingVersion).toBe(fixed.mappings.mapping('event', 'leeds-north').version);
  });
});
