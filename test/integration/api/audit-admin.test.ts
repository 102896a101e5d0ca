// Admins query the audit trail (GET /admin/audit: filters, paging), export it as FHIR AuditEvents
// (valid R4, ATNA style) and verify its chain (GET /admin/audit/verify names the first broken row);
// the CLI does the same (`navbridge audit list|export|verify`). Querying the trail is audited too.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEvent, Bundle } from 'fhir/r4.js';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { loadProfiles } from '../../../src/config/startup.js';
import { migrate } from '../../../src/store/db.js';
import { TEST_DATABASE_URL } from '../../support/db.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

describe('admin audit API', () => {
  let nb: TestNavbridge;
  beforeAll(async () => {
    nb = await buildTestNavbridge();
    // 7 failed logins and 1 forbidden kind of caller, as raw material.
    for (let i = 0; i < 7; i++)
      await request(nb.app).get('/api/v1/referrals').set('X-API-Key', `no-such-key-${i}-0123456789`);
  });
  afterAll(async () => nb?.close());

  it('filters by action and outcome and pages by seq without overlap', async () => {
    const first = await request(nb.app).get('/admin/audit?action=authenticate&limit=4').set(ADMIN);
    expect(first.status).toBe(200);
    expect(first.body.entries).toHaveLength(4);
    expect(typeof first.body.next).toBe('number');
    const second = await request(nb.app)
      .get(`/admin/audit?action=authenticate&limit=4&after=${first.body.next}`)
      .set(ADMIN);
    expect(second.body.entries).toHaveLength(3);
    expect(second.body.next).toBeUndefined();
    const seqs = [...first.body.entries, ...second.body.entries].map((e: { seq: number }) => e.seq);
    expect(new Set(seqs).size).toBe(7);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const e of [...first.body.entries, ...second.body.entries])
      expect(e).toMatchObject({ actor: 'anonymous', outcome: 'failure', targetType: 'credential' });
    const none = await request(nb.app).get('/admin/audit?action=authenticate&outcome=success').set(ADMIN);
    expect(none.body.entries).toEqual([]);
  });

  it('filters by actor, resource and time', async () => {
    const q = await request(nb.app).get('/admin/audit?actor=admin:test-none').set(ADMIN);
    expect(q.body.entries).toEqual([]);
    const credential = await request(nb.app).get('/admin/audit?resource=credential&limit=100').set(ADMIN);
    expect(credential.body.entries).toHaveLength(7);
    const future = await request(nb.app).get('/admin/audit?from=2999-01-01T00:00:00Z').set(ADMIN);
    expect(future.body.entries).toEqual([]);
    const past = await request(nb.app).get('/admin/audit?to=2000-01-01T00:00:00Z').set(ADMIN);
    expect(past.body.entries).toEqual([]);
  });

  it('querying the trail is itself in the trail, under the admin', async () => {
    const q = await request(nb.app).get('/admin/audit?action=query-audit&limit=1000').set(ADMIN);
    expect(q.body.entries.length).toBeGreaterThan(0);
    expect(q.body.entries[0].actor).toMatch(/^admin:/);
  });

  it('refuses bad filters with a 400 OperationOutcome naming the path, and non-admins', async () => {
    for (const bad of ['outcome=maybe', 'limit=0', 'after=-1', 'from=yesterday', 'colour=red']) {
      const res = await request(nb.app).get(`/admin/audit?${bad}`).set(ADMIN);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].expression[0]).toMatch(/^query/);
    }
    expect((await request(nb.app).get('/admin/audit')).status).toBe(401);
  });

  it('exports valid R4 AuditEvents: type, subtype, action, recorded, outcome, agent with network address, source, entity', async () => {
    const res = await request(nb.app).get('/admin/audit/AuditEvent?limit=5').set(ADMIN);
    expect(res.status).toBe(200);
    expect(res.get('content-type')).toMatch(/application\/fhir\+json/);
    const bundle = JSON.parse(res.text) as Bundle;
    expect(bundle.type).toBe('collection');
    expect(bundle.link?.[0]).toMatchObject({ relation: 'next' });
    const events = (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
    expect(events).toHaveLength(5);
    const { validator } = loadProfiles('profiles');
    for (const ev of events) {
      const errors = validator.validateResource(ev).filter((i) => i.severity === 'error');
      expect(errors).toEqual([]);
    }
    // The validator does check AuditEvents: one without its agent, or with an unknown outcome, fails.
    const { agent: _a, ...noAgent } = events[0]!;
    expect(validator.validateResource(noAgent as AuditEvent).some((i) => i.severity === 'error')).toBe(true);
    const badOutcome = { ...events[0]!, outcome: '5' } as unknown as AuditEvent;
    expect(validator.validateResource(badOutcome).some((i) => i.severity === 'error')).toBe(true);
    const login = events[0]!;
    expect(login).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114' },
      subtype: [{ code: '110122' }],
      action: 'E',
      outcome: '4',
      source: { observer: { display: 'navbridge' } },
    });
    expect(login.agent[0]).toMatchObject({
      requestor: true,
      who: { identifier: { value: 'anonymous' } },
      network: { type: '2' },
    });
    expect(login.agent[0]!.network?.address).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(login.recorded)).not.toBeNaN();
    expect(login.entity?.[0]?.detail?.map((d) => d.type)).toEqual([
      'navbridge-action',
      'chain-seq',
      'chain-hash',
    ]);
  });

  it('verifies the chain (200), and names the first broken row after tampering (409)', async () => {
    const ok = await request(nb.app).get('/admin/audit/verify').set(ADMIN);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true });
    await nb.t.sql.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    await nb.t.sql.query(`UPDATE audit_log SET source_address = '203.0.113.9' WHERE seq = 3`);
    await nb.t.sql.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    const broken = await request(nb.app).get('/admin/audit/verify').set(ADMIN);
    expect(broken.status).toBe(409);
    expect(broken.body).toEqual({ ok: false, rows: 2, brokenAt: 3, problem: 'hash' });
  });
});

describe('navbridge audit (CLI)', () => {
  const schema = `t_cli_audit_${randomBytes(5).toString('hex')}`;
  const token = `admin-${randomBytes(16).toString('hex')}`;
  let dir: string;
  let db: pg.Pool;
  const run = async (argv: string[], over: Record<string, string> = {}) => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: {
        NAVBRIDGE_CONFIG: 'navbridge.config.yaml',
        DATABASE_URL: TEST_DATABASE_URL,
        NAVBRIDGE_DB_SCHEMA: schema,
        NAVBRIDGE_ADMIN_TOKEN: token,
        LOG_LEVEL: 'silent',
        ...over,
      },
    });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'navbridge-cli-audit-'));
    writeFileSync(
      path.join(dir, 'navbridge.config.yaml'),
      [
        `mappingsDir: ${path.join(ROOT, 'mappings')}`,
        `profilesDir: ${path.join(ROOT, 'profiles')}`,
        'sites: [leeds-north]',
        '',
      ].join('\n'),
    );
    await migrate({ databaseUrl: TEST_DATABASE_URL, schema });
    db = new pg.Pool({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    for (let i = 0; i < 3; i++)
      await db.query(
        `INSERT INTO audit_log (actor, action, target_type, target_id, outcome) VALUES ('partner:p', 'read', 'Task', $1, 'success')`,
        [`task-${i}`],
      );
  });
  afterAll(async () => {
    await db?.end();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('lists rows with filters, exports AuditEvents, verifies', async () => {
    const list = await run(['audit', 'list', '--action', 'read', '--resource', 'Task/task-1']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'partner:p', targetId: 'task-1', seq: 2 });

    const exported = await run(['audit', 'export', '--actor', 'partner:p']);
    expect(exported.code).toBe(0);
    const events = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(events.map((e) => e.entity?.[0]?.what?.reference)).toEqual([
      'Task/task-0',
      'Task/task-1',
      'Task/task-2',
    ]);
    expect(events[0]).toMatchObject({ resourceType: 'AuditEvent', action: 'R', subtype: [{ code: 'read' }] });

    const verified = await run(['audit', 'verify']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    // The CLI's own queries are rows, under the operator's name.
    const { rows: own } = await db.query(`SELECT actor FROM audit_log WHERE action = 'query-audit'`);
    expect(own.length).toBe(2);
    expect(own[0].actor).toMatch(/^cli:/);
  });

  it('exits 1 naming the first broken row after a superuser tampered with the trail', async () => {
    await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    await db.query(`DELETE FROM audit_log WHERE seq = 2`);
    await db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    const verified = await run(['audit', 'verify']);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/broken at row 2 \(gap\)/);
  });

  it('runs as a LOGIN role that is only a member of the application role, migrating as the owner', async () => {
    const login = `navbridge_login_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ROLE ${login} LOGIN IN ROLE navbridge_app`);
    const url = TEST_DATABASE_URL.replace('postgres@', `${login}@`);
    const asLogin = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await asLogin.connect();
    try {
      const r = await run(['audit', 'list', '--limit', '1'], {
        DATABASE_URL: url,
        MIGRATION_DATABASE_URL: TEST_DATABASE_URL,
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ seq: 1 });
      // The application's own login can append, and cannot become anyone more privileged.
      await asLogin.query(
        `INSERT INTO audit_log (actor, action, target_type) VALUES ('worker', 'probe', 'test')`,
      );
      await asLogin.query('RESET ROLE');
      await expect(asLogin.query('SET ROLE postgres')).rejects.toThrow(/permission denied/);
      await expect(asLogin.query('DELETE FROM audit_log')).rejects.toThrow(/permission denied/);
      await expect(asLogin.query('DROP TRIGGER audit_log_chain ON audit_log')).rejects.toThrow(
        /must be owner/,
      );
      // Without the owner's URL the start-up migration runs as the login and is refused.
      const noOwner = await run(['audit', 'list'], { DATABASE_URL: url });
      expect(noOwner.code).toBe(2);
      expect(noOwner.stderr).toMatch(/MIGRATION_DATABASE_URL/);
    } finally {
      await asLogin.end();
      await db.query(`DROP ROLE ${login}`);
    }
  });

  it('refuses bad flags (exit 2) and a wrong admin token', async () => {
    expect((await run(['audit', 'list', '--outcome', 'maybe'])).code).toBe(2);
    expect((await run(['audit', 'frobnicate'])).code).toBe(2);
  });
});
