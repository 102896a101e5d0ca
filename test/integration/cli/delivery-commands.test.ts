// The delivery commands through main(argv, io): migrate, submit, worker and dead-letters against real
// PostgreSQL (a schema of their own via NAVBRIDGE_DB_SCHEMA), real Redis (a random queue prefix) and a
// real sandbox partner; and the failure a missing PostgreSQL gives.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Task } from 'fhir/r4.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { connectRedis, deletePrefix, randomPrefix, TEST_REDIS_URL } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const ADMIN = `admin-${randomBytes(16).toString('hex')}`;

describe('navbridge delivery commands', () => {
  let trust: PartnerServer;
  let dir: string;
  let env: Record<string, string>;
  const schema = `t_cli_${randomBytes(5).toString('hex')}`;
  const prefix = randomPrefix();
  const redis = connectRedis();
  let db: pg.Pool;

  beforeAll(async () => {
    trust = await startPartnerServer({ name: 'trust' });
    dir = mkdtempSync(path.join(tmpdir(), 'navbridge-cli-delivery-'));
    writeFileSync(
      path.join(dir, 'navbridge.config.yaml'),
      [
        `mappingsDir: ${path.join(ROOT, 'mappings')}`,
        `profilesDir: ${path.join(ROOT, 'profiles')}`,
        'sites: [leeds-north, cardiff-vale]',
        'worker:',
        '  sweepIntervalMs: 300',
        '  requeueAfterMs: 1000',
        `  queuePrefix: ${prefix}`,
        'partners:',
        '  - id: leeds-trust',
        '    name: Leeds trust',
        '    kind: trust',
        '    odsCodes: [RGD]',
        `    baseUrl: ${trust.url}`,
        '    mode: transaction',
        '    receives: [referral-status]',
        '    retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100 }',
        '',
      ].join('\n'),
    );
    const referral = recordFixture('referral');
    referral.referrer.odsCode = 'RGD';
    writeFileSync(path.join(dir, 'referral.json'), JSON.stringify(referral));
    writeFileSync(path.join(dir, 'contacted.json'), JSON.stringify(recordFixture('event-contacted')));
    writeFileSync(path.join(dir, 'attempted.json'), JSON.stringify(recordFixture('event-contact-attempted')));
    writeFileSync(
      path.join(dir, 'invalid.json'),
      JSON.stringify({
        ...recordFixture('event-contacted'),
        id: 'EV-BAD',
        version: 0,
        method: 'carrier-pigeon',
      }),
    );
    env = {
      NAVBRIDGE_CONFIG: 'navbridge.config.yaml',
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      NAVBRIDGE_PERSON_KEY: 'cli-test-person-key-0123456789',
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
    };
    db = new pg.Pool({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
  });

  afterAll(async () => {
    await db?.end();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await trust?.close();
  });

  async function run(argv: string[], over: Record<string, string | undefined> = {}, signal?: AbortSignal) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: { ...env, ...over },
      ...(signal ? { signal } : {}),
    });
    return { code, stdout, stderr };
  }

  /** Runs `navbridge worker` until `until` holds, then stops it as SIGTERM would. */
  async function withWorker(until: () => Promise<boolean>, what: string): Promise<void> {
    const ac = new AbortController();
    const worker = run(['worker'], {}, ac.signal);
    try {
      await waitFor(until, { what });
    } finally {
      ac.abort();
    }
    const r = await worker;
    expect(r.code).toBe(0);
  }

  const statusOf = async (id: string) =>
    (await db.query('SELECT status FROM exchanges WHERE id = $1', [id])).rows[0]?.status as string;

  it('migrate applies the migrations to the configured schema, then reports it up to date', async () => {
    const first = await run(['migrate']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied: /);
    const { rows } = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
      [schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['exchanges', 'audit_log']));
    const again = await run(['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('database is up to date\n');
  });

  it('submit stores, routes and queues a record (JSON on stdout); the worker command delivers it', async () => {
    const r = await run(['submit', 'referral', 'referral.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out).toMatchObject({ outcome: 'accepted', recordType: 'referral', id: 'REF-2025-0142' });
    const x = out.exchanges.find((e: { partnerId: string }) => e.partnerId === 'leeds-trust');
    expect(x.status).toBe('pending');
    expect(await statusOf(x.id)).toBe('pending');
    await withWorker(async () => (await statusOf(x.id)) === 'delivered', 'referral delivered');
    expect(trust.readAll<Task>('Task')).toHaveLength(1);
  });

  it('submit of an invalid record exits 1 with an OperationOutcome on stderr and stores nothing', async () => {
    const count = async () => (await db.query('SELECT count(*)::int AS n FROM records')).rows[0].n;
    const before = await count();
    const r = await run(['submit', 'event', 'invalid.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const err = JSON.parse(r.stderr.trim());
    expect(err.code).toBe('REC_BAD_REQUEST');
    expect(err.outcome.resourceType).toBe('OperationOutcome');
    expect(err.outcome.issue.length).toBeGreaterThanOrEqual(2);
    // Diagnostics never echo the input.
    expect(r.stderr).not.toContain('carrier-pigeon');
    expect(await count()).toBe(before);
  });

  it('dead-letters list, show (audited), replay and discard', async () => {
    trust.injectFaults({ status: 422 });
    const sub = await run(['submit', 'event', 'contacted.json']);
    expect(sub.code).toBe(0);
    const deadId = JSON.parse(sub.stdout).exchanges[0].id as string;
    await withWorker(async () => (await statusOf(deadId)) === 'dead', 'dead letter');

    const list = await run(['dead-letters', 'list', '--partner', 'leeds-trust']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([expect.objectContaining({ id: deadId, reason: 'http-422', attempts: 1 })]);
    expect(rows[0].payload).toBeUndefined();
    expect((await run(['dead-letters', 'list', '--partner', 'nobody'])).stdout).toBe('');

    const show = await run(['dead-letters', 'show', deadId]);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown.payload.resourceType).toBe('Bundle');
    expect(shown.queueToken).toBeUndefined();
    expect(shown.claimToken).toBeUndefined();
    const audits = async (id: string) =>
      (
        await db.query(
          `SELECT action, actor FROM audit_log WHERE target_id = $1 AND action NOT LIKE 'deliver%' ORDER BY seq`,
          [id],
        )
      ).rows;
    expect((await audits(deadId)).map((a) => a.action)).toEqual(['view-payload']);
    expect((await audits(deadId))[0].actor).toMatch(/^cli:/);
    const missing = await run(['dead-letters', 'show', randomUUID()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such exchange/);

    const replay = await run(['dead-letters', 'replay', deadId]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toBe(`replayed ${deadId}\n`);
    expect(await statusOf(deadId)).toBe('pending');
    await withWorker(async () => (await statusOf(deadId)) === 'delivered', 'replayed delivery');
    expect((await audits(deadId)).map((a) => a.action)).toEqual(['view-payload', 'replay']);
    const again = await run(['dead-letters', 'replay', deadId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not dead/);

    trust.injectFaults({ status: 400 });
    const sub2 = await run(['submit', 'event', 'attempted.json']);
    const otherId = JSON.parse(sub2.stdout).exchanges[0].id as string;
    await withWorker(async () => (await statusOf(otherId)) === 'dead', 'second dead letter');
    const noReason = await run(['dead-letters', 'discard', otherId]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    expect(await statusOf(otherId)).toBe('dead');
    const discard = await run(['dead-letters', 'discard', otherId, '--reason', 'sent by phone instead']);
    expect(discard.code).toBe(0);
    expect(await statusOf(otherId)).toBe('discarded');
    expect((await audits(otherId)).map((a) => a.action)).toEqual(['discard']);
  });

  it('dead-letters without the admin credential exits 2 and names the variable', async () => {
    const r = await run(['dead-letters', 'list'], { NAVBRIDGE_ADMIN_TOKEN: undefined });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/admin credential.*NAVBRIDGE_ADMIN_TOKEN/);
  });

  it('dead-letters verifies the admin credential against secrets.adminTokenSha256, not only its presence', async () => {
    const digest = createHash('sha256').update(ADMIN).digest('hex');
    const config = readFileSync(path.join(dir, 'navbridge.config.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'digest.yaml'), `${config}secrets:\n  adminTokenSha256: ${digest}\n`);
    const wrong = await run(['dead-letters', 'list'], {
      NAVBRIDGE_CONFIG: 'digest.yaml',
      NAVBRIDGE_ADMIN_TOKEN: `not-${ADMIN}`,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/NAVBRIDGE_ADMIN_TOKEN is not the configured admin token/);
    expect(wrong.stderr).not.toContain(ADMIN);
    const right = await run(['dead-letters', 'list'], { NAVBRIDGE_CONFIG: 'digest.yaml' });
    expect(right.code).toBe(0);
    const short = await run(['dead-letters', 'list'], { NAVBRIDGE_ADMIN_TOKEN: 'short-token' });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 32 characters/);
  });

  it('no start-up failure prints a connection password (PostgreSQL or Redis, @ and / in the password too)', {
    timeout: 20_000,
  }, async () => {
    for (const secret of ['s3cret-pw', 'p@ss/w0rd@x']) {
      const pgDown = await run(['migrate'], {
        DATABASE_URL: `postgres://navbridge:${secret}@127.0.0.1:1/navbridge`,
      });
      expect(pgDown.code).toBe(2);
      expect(pgDown.stderr).toMatch(/PostgreSQL is not reachable at postgres:\/\/\*\*\*@127\.0\.0\.1:1/);
      const redisDown = await run(['worker'], { REDIS_URL: `redis://:${secret}@127.0.0.1:1` });
      expect(redisDown.code).toBe(2);
      expect(redisDown.stderr).toMatch(/Redis is not reachable at redis:\/\/\*\*\*@127\.0\.0\.1:1/);
      const badShape = await run(['migrate'], { REDIS_URL: `http://user:${secret}@127.0.0.1:1` });
      expect(badShape.code).toBe(2);
      for (const r of [pgDown, redisDown, badShape]) {
        expect(r.stderr).not.toContain(secret);
        for (const piece of ['s3cret', 'w0rd']) expect(r.stderr).not.toContain(piece);
      }
    }
  });

  it('a PostgreSQL that is not there fails fast with a one-line message (exit 2)', {
    timeout: 10_000,
  }, async () => {
    const down = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/navbridge' };
    for (const argv of [['submit', 'referral', 'referral.json'], ['migrate'], ['dead-letters', 'list']]) {
      const r = await run(argv, down);
      expect(r.code, argv.join(' ')).toBe(2);
      const [first] = r.stderr.split('\n');
      expect(first).toMatch(/^navbridge: PostgreSQL is not reachable/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
