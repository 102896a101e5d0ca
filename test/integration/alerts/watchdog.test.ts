// The watchdog on a real PostgreSQL with a clock the test moves: each condition of issue 10 §4 raises
// one alert, a second run raises nothing more, and the alert clears when the condition resolves.
// Exchanges and circuits carry PostgreSQL's own timestamps, so the clock starts at the real time.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Referral } from '../../../src/records/index.js';
import { EXCHANGE_PAYLOAD } from '../../../src/store/exchanges.js';
import { Vault } from '../../../src/store/sealing.js';
import { runAdminCli } from '../../support/cli.js';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS, testKeyProvider } from '../../support/db.js';
import { gpPartner, recordFixture } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('watchdog', () => {
  let nb: TestNavbridge;
  const clock = { now: new Date(Math.floor(Date.now() / 1000) * 1000) };
  const T0 = clock.now.getTime();
  const at = (ms: number) => new Date(ms).toISOString();

  const referral = async (receivedAt: number) => {
    const r = recordFixture<Referral>('referral');
    const nhs = nhsNumber();
    r.id = `REF-${randomUUID().slice(0, 8)}`;
    r.receivedAt = at(receivedAt);
    r.referralDate = at(receivedAt).slice(0, 10);
    r.person.nhsNumber = nhs;
    r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
    const out = await nb.navbridge.submitRecord(ADMIN, 'referral', r);
    expect(out.outcome).toBe('accepted');
    return r.id;
  };
  const event = async (
    referralId: string,
    type: string,
    when: number,
    extra: Record<string, unknown> = {},
  ) => {
    const e = {
      id: `EV-${randomUUID().slice(0, 8)}`,
      site: 'leeds-north',
      version: 1,
      referralId,
      type,
      at: at(when),
      ...extra,
    };
    expect((await nb.navbridge.submitRecord(ADMIN, 'event', e)).outcome).toBe('accepted');
  };
  const run = async () => {
    const r = await nb.navbridge.runWatchdog();
    expect(r.ran).toBe(true);
    const kinds = async (ids: string[]) =>
      (await nb.t.sql.query('SELECT kind, key FROM alerts WHERE id = ANY($1) ORDER BY kind, key', [ids]))
        .rows as {
        kind: string;
        key: string;
      }[];
    return {
      raised: await kinds(r.transitions.filter((t) => t.event === 'raised').map((t) => t.alertId)),
      cleared: await kinds(r.transitions.filter((t) => t.event === 'cleared').map((t) => t.alertId)),
    };
  };
  const open = async (kind: string) =>
    (
      await nb.t.sql.query('SELECT key FROM alerts WHERE kind = $1 AND cleared_at IS NULL ORDER BY key', [
        kind,
      ])
    ).rows.map((r) => r.key as string);
  const pending = async () =>
    (
      await nb.t.sql.query(
        "SELECT id FROM exchanges WHERE direction = 'outbound' AND status IN ('pending','in-flight','failed','blocked') ORDER BY id",
      )
    ).rows.map((r) => r.id as string);

  beforeAll(async () => {
    nb = await buildTestNavbridge({
      clock,
      partners: [gpPartner()],
      config: {
        alerts: { dueSoonHours: 12, undeliveredAfterMinutes: 60, circuitOpenMinutes: 15, inactiveDays: 14 },
      },
    });
  }, 120_000);
  afterAll(async () => nb?.close());

  it('raises each condition once and clears it when it resolves', async () => {
    const site = (id: string) => `leeds-north|${id}`;
    // Contact due in 10 hours (received 62 hours ago): due soon.
    const soon = await referral(T0 - 62 * HOUR);
    // Contacted and assessed 15 days ago, nothing since: inactive (its clocks are met).
    const idle = await referral(T0 - 15 * DAY);
    await event(idle, 'contacted', T0 - 15 * DAY + HOUR, { method: 'phone' });
    await event(idle, 'assessment-completed', T0 - 15 * DAY + 2 * HOUR);

    let r = await run();
    expect(r.raised).toEqual([
      { kind: 'contact-due-soon', key: site(soon) },
      { kind: 'referral-inactive', key: site(idle) },
    ]);
    expect(r.cleared).toEqual([]);
    // Fires once: the same conditions raise nothing the second time.
    expect(await run()).toEqual({ raised: [], cleared: [] });

    // 11 hours on: the contact clock has passed; the exchanges made at T0 are 11 hours undelivered.
    clock.now = new Date(T0 + 11 * HOUR);
    const undelivered = await pending();
    expect(undelivered.length).toBeGreaterThan(0);
    r = await run();
    expect(r.raised).toEqual(
      [
        { kind: 'contact-overdue', key: site(soon) },
        ...undelivered.map((id) => ({ kind: 'exchange-undelivered', key: id })),
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key)),
    );
    expect(r.cleared).toEqual([{ kind: 'contact-due-soon', key: site(soon) }]);

    // Contact made: the breach clears (the contact's own exchange is new, and undelivered too).
    await event(soon, 'contacted', T0 + 11 * HOUR - 60_000, { method: 'phone' });
    r = await run();
    expect(r.cleared).toEqual([{ kind: 'contact-overdue', key: site(soon) }]);
    expect(await open('contact-overdue')).toEqual([]);

    // A dead letter: raised (its undelivered alert clears); discarded, it clears.
    const dead = undelivered[0]!;
    await nb.t.sql.query("UPDATE exchanges SET status = 'dead' WHERE id = $1", [dead]);
    r = await run();
    expect(r.raised).toEqual([{ kind: 'dead-letter', key: dead }]);
    expect(r.cleared).toEqual([{ kind: 'exchange-undelivered', key: dead }]);
    await nb.navbridge.discardDeadLetter(ADMIN, dead, 'sent by hand');
    r = await run();
    expect(r.cleared).toEqual([{ kind: 'dead-letter', key: dead }]);

    // A circuit open 20 minutes (threshold 15): raised; closed, it clears.
    await nb.t.sql.query(
      "INSERT INTO partner_circuits (partner_id, state, opened_at) VALUES ('gp-a', 'open', $1)",
      [new Date(clock.now.getTime() - 20 * 60_000)],
    );
    r = await run();
    expect(r.raised).toEqual([{ kind: 'circuit-open', key: 'gp-a' }]);
    await nb.t.sql.query(
      "UPDATE partner_circuits SET state = 'closed', opened_at = NULL WHERE partner_id = 'gp-a'",
    );
    r = await run();
    expect(r.cleared).toEqual([{ kind: 'circuit-open', key: 'gp-a' }]);

    // A BaRS message delivered 2 hours ago with no response: raised; the response arrives, it clears.
    // Stored as the store stores one: the payload sealed, the message's ids in plain beside it.
    const message = randomUUID();
    const messageId = randomUUID();
    await nb.t.sql.query(
      `INSERT INTO exchanges (id, direction, partner_id, site, record_type, source_id, version, delivery_mode,
          payload, status, correlation_id, delivered_at, message_ids)
       VALUES ($1, 'outbound', 'gp-a', 'leeds-north', 'event', 'EV-M', 1, 'message', $2, 'delivered', $3, $4,
               ARRAY[$5])`,
      [
        message,
        await new Vault(testKeyProvider()).seal({ resourceType: 'Bundle', id: messageId }, EXCHANGE_PAYLOAD),
        randomUUID(),
        new Date(clock.now.getTime() - 2 * HOUR),
        messageId,
      ],
    );
    r = await run();
    expect(r.raised).toEqual([{ kind: 'acknowledgement-overdue', key: message }]);
    await nb.t.sql.query(
      "INSERT INTO audit_log (actor, action, target_type, target_id) VALUES ('partner:gp-a', 'inbound-received', 'message', $1)",
      [messageId],
    );
    r = await run();
    expect(r.cleared).toEqual([{ kind: 'acknowledgement-overdue', key: message }]);

    // The inactive referral gets an event: it clears.
    await event(idle, 'contact-attempted', clock.now.getTime() - 60_000, { method: 'phone' });
    r = await run();
    expect(r.cleared).toContainEqual({ kind: 'referral-inactive', key: site(idle) });
    expect(await open('referral-inactive')).toEqual([]);

    // Nothing else fires on its own.
    expect(await run()).toEqual({ raised: [], cleared: [] });
  });

  it('lists alerts for the admin (GET /admin/alerts), open by default, all with ?state=all', async () => {
    const openRes = await request(nb.app)
      .get('/admin/alerts')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
    expect(openRes.status).toBe(200);
    expect(openRes.body.alerts.every((a: { state: string }) => a.state === 'open')).toBe(true);
    expect(openRes.body.alerts.map((a: { kind: string }) => a.kind)).toContain('exchange-undelivered');
    const all = await request(nb.app)
      .get('/admin/alerts?state=all')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
    const kinds = new Set(all.body.alerts.map((a: { kind: string }) => a.kind));
    for (const k of [
      'contact-due-soon',
      'contact-overdue',
      'exchange-undelivered',
      'dead-letter',
      'circuit-open',
      'acknowledgement-overdue',
      'referral-inactive',
    ])
      expect(kinds).toContain(k);
    expect(all.body.alerts.length).toBeGreaterThan(openRes.body.alerts.length);
    const bad = await request(nb.app)
      .get('/admin/alerts?state=closed')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
    expect(bad.status).toBe(400);
    const unauthenticated = await request(nb.app).get('/admin/alerts');
    expect(unauthenticated.status).toBe(401);
  });

  it('skips a run while another holds the lock (one runner at a time)', async () => {
    const client = await nb.t.sql.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('navbridge-watchdog', 0))`);
      const r = await nb.navbridge.runWatchdog();
      expect(r.ran).toBe(false);
      expect(r.transitions).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    expect((await nb.navbridge.runWatchdog()).ran).toBe(true);
  });

  it('lists alerts on the command line (navbridge alerts list), as a table or NDJSON', async () => {
    const root = path.resolve(import.meta.dirname, '..', '..', '..');
    const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-alerts-cli-'));
    writeFileSync(
      path.join(dir, 'navbridge.config.yaml'),
      `mappingsDir: ${path.join(root, 'mappings')}\nprofilesDir: ${path.join(root, 'profiles')}\nsites: [leeds-north, cardiff-vale]\n`,
    );
    const run = (argv: string[]) =>
      runAdminCli(argv, { schema: nb.t.schema, config: 'navbridge.config.yaml', cwd: dir });
    const table = await run(['alerts', 'list']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^raised \(UTC\)\s+state\s+kind\s+about\s+cleared \(UTC\)$/);
    expect(lines.slice(1).every((l) => / open /.test(l))).toBe(true);
    expect(table.stdout).toContain('exchange-undelivered');
    const json = await run(['alerts', 'list', '--all', '--json']);
    const all = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all.some((a: { state: string }) => a.state === 'cleared')).toBe(true);
    expect(all.length).toBe(
      lines.length - 1 + all.filter((a: { state: string }) => a.state === 'cleared').length,
    );
    expect((await run(['alerts', 'show'])).code).toBe(2);
    // A worker with a webhook but no secret in the environment exits at once, naming the variable.
    writeFileSync(
      path.join(dir, 'hook.yaml'),
      `mappingsDir: ${path.join(root, 'mappings')}\nprofilesDir: ${path.join(root, 'profiles')}\nsites: [leeds-north]\nalerts: { webhook: { url: 'http://127.0.0.1:9/hook', secretEnv: ALERT_HOOK_SECRET } }\n`,
    );
    let stderr = '';
    const code = await main(['worker'], {
      stdout: { write: () => true },
      stderr: { write: (x: string) => (stderr += x) },
      cwd: dir,
      env: {
        NAVBRIDGE_CONFIG: 'hook.yaml',
        DATABASE_URL: TEST_DATABASE_URL,
        NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
        LOG_LEVEL: 'silent',
      },
      signal: AbortSignal.timeout(30_000),
    });
    expect(code).toBe(2);
    expect(stderr).toContain('ALERT_HOOK_SECRET');
  });

  it("takes a partner's own undelivered threshold over the default", async () => {
    const c = { now: new Date(Math.floor(Date.now() / 1000) * 1000) };
    const own = await buildTestNavbridge({
      clock: c,
      partners: [
        gpPartner({
          alerts: { undeliveredAfterMinutes: 600 },
        }),
      ],
      config: { alerts: { undeliveredAfterMinutes: 60 } },
    });
    try {
      const r = recordFixture<Referral>('referral');
      r.id = `REF-${randomUUID().slice(0, 8)}`;
      r.receivedAt = c.now.toISOString();
      r.referralDate = r.receivedAt.slice(0, 10);
      expect((await own.navbridge.submitRecord(ADMIN, 'referral', r)).outcome).toBe('accepted');
      const undelivered = async () =>
        (await own.navbridge.listAlerts(ADMIN, { kind: 'exchange-undelivered' })).map((a) => a.partnerId);
      const start = c.now.getTime();
      c.now = new Date(start + 2 * HOUR);
      await own.navbridge.runWatchdog();
      expect(await undelivered()).toEqual([]);
      c.now = new Date(start + 11 * HOUR);
      await own.navbridge.runWatchdog();
      expect((await undelivered()).length).toBeGreaterThan(0);
      expect(new Set(await undelivered())).toEqual(new Set(['gp-a']));
    } finally {
      await own.close();
    }
  });
});
