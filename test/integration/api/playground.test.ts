// The playground's JSON API (/admin/playground/api): off unless enabled (404), admin only (401, 403),
// a pasted record mapped by the real pipeline on a private copy of mappings/ — issues placed at their
// FHIRPath and at the mapping file's line, triage, routes and payloads, a golden diff — inbound
// messages, the source view, a dead letter opened with its stored record (audited), and goldens saved
// where `navbridge mappings test` passes them.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failForGood } from '../../support/exchanges.js';
import { copyMappingsFolder, mappingsTest, removeMappingsFolder } from '../../support/mappings-folder.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const API = '/admin/playground/api';
const auth = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const accepted = readFileSync(path.join(ROOT, 'mappings/referral/examples/accepted.input.json'), 'utf8');
const OVERRIDE = (patch: string) =>
  `# a test's override\nrecordType: referral\nresources:\n  - name: patient\n    patch: |\n      ${patch}\n`;

const GP = {
  id: 'gp-b86022',
  name: 'Leeds Student Medical Practice',
  kind: 'gp-practice',
  odsCodes: ['B86022'],
  baseUrl: 'http://127.0.0.1:9/fhir',
  mode: 'document',
  receives: ['referral-status', 'outcome'],
};

describe('playground API', () => {
  let off: TestNavbridge;
  let nb: TestNavbridge;
  let mappings: string;
  beforeAll(async () => {
    mappings = copyMappingsFolder();
    off = await buildTestNavbridge();
    nb = await buildTestNavbridge({
      db: off.t,
      mappingsDir: mappings,
      partners: [GP],
      config: { playground: { enabled: true } },
    });
  });
  afterAll(async () => {
    await nb?.close();
    await off?.close();
    removeMappingsFolder(mappings);
  });

  it('is 404 while disabled, 401 without the admin token (a Basic challenge for browsers)', async () => {
    expect((await request(off.app).get(`${API}/catalog`).set(auth)).status).toBe(404);
    expect((await request(off.app).get('/admin/playground').set(auth)).status).toBe(404);
    const none = await request(nb.app).get(`${API}/catalog`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
    expect(none.body.resourceType).toBe('OperationOutcome');
    const wrong = await request(nb.app).get(`${API}/catalog`).auth('admin', 'not-the-token-0123456789');
    expect(wrong.status).toBe(401);
    const basic = await request(nb.app).get('/admin/playground').auth('admin', TEST_ADMIN_TOKEN);
    expect(basic.status).toBe(200);
    expect(basic.headers['content-type']).toMatch(/^text\/html/);
    expect(basic.headers['content-security-policy']).toContain("script-src 'self'");
    const js = await request(nb.app).get('/admin/playground/playground.js').set(auth);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('lists the sites, record types, inbound mappings, partners and goldens of the folder', async () => {
    const res = await request(nb.app).get(`${API}/catalog`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.sites).toEqual(['cardiff-vale', 'leeds-north']);
    expect(res.body.recordTypes).toContain('referral');
    expect(res.body.inbound).toContain('fhir-referral');
    expect(res.body.partners).toEqual([{ id: GP.id, kind: 'gp-practice', mode: 'document' }]);
    expect(res.body.goldens.map((g: { label: string }) => g.label)).toContain(
      'mappings/referral/examples/accepted',
    );
  });

  it('maps a record: valid FHIR, triage, the routing decision and each payload, and a golden diff', async () => {
    const res = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: accepted, golden: 'mappings/referral/examples/accepted' });
    expect(res.status).toBe(200);
    const [r] = res.body.results;
    expect(r.status).toBe('valid');
    expect(r.triage).toEqual({ outcome: 'accept' });
    expect(r.bundle.resourceType).toBe('Bundle');
    const gp = r.routes.find((x: { partnerId: string }) => x.partnerId === GP.id);
    expect(gp).toMatchObject({ decision: 'send', mode: 'document', roles: ['referrer', 'gp'] });
    expect(gp.payload.type).toBe('document');
    expect(res.body.diff).toEqual({ golden: 'mappings/referral/examples/accepted', differences: [] });
    // What is withheld, and why: the person objected to status updates.
    const objected = JSON.stringify({ ...JSON.parse(accepted), sharing: { statusUpdates: false } });
    const w = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: objected });
    const withheld = w.body.results[0].routes.find((x: { partnerId: string }) => x.partnerId === GP.id);
    expect(withheld).toMatchObject({ decision: 'withheld-no-consent' });
    expect(withheld.reason).toContain('sharing.statusUpdates');
    expect(withheld.payload).toBeUndefined();
    const other = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: accepted, golden: 'mappings/referral/examples/unicode' });
    expect(other.body.diff.differences.length).toBeGreaterThan(0);
  });

  it('places a validation issue at its FHIRPath and at the mapping file line that produced it', async () => {
    const file = path.join(mappings, 'sites/leeds-north/referral.yaml');
    writeFileSync(file, OVERRIDE('$ ~> | $ | {"birthDate": "02/11/1979"} |'));
    try {
      const res = await request(nb.app)
        .post(`${API}/run`)
        .set(auth)
        .send({ recordType: 'referral', text: accepted });
      const [r] = res.body.results;
      expect(r.status).toBe('invalid');
      expect(r.routes).toBeUndefined();
      const i = r.issues.find((x: { severity: string }) => x.severity === 'error');
      expect(i.expression).toBe('Bundle.entry[0].resource.birthDate');
      expect(i.location).toEqual({
        file: 'mappings/sites/leeds-north/referral.yaml',
        field: 'resources[patient].patch',
        line: 5,
        column: 12,
        endLine: 6,
      });
      // A JSONata failure is placed by its position inside the expression.
      writeFileSync(file, OVERRIDE('$ ~> | $ | {"gender": $lowercse("X")} |'));
      const bad = await request(nb.app)
        .post(`${API}/run`)
        .set(auth)
        .send({ recordType: 'referral', text: accepted });
      expect(bad.body.results[0].status).toBe('mapping-failed');
      expect(bad.body.results[0].issues[0].location).toMatchObject({
        file: 'mappings/sites/leeds-north/referral.yaml',
        line: 6,
      });
      const src = await request(nb.app)
        .get(`${API}/source`)
        .query({ file: 'mappings/sites/leeds-north/referral.yaml' })
        .set(auth);
      expect(src.body.text).toContain('$lowercse');
    } finally {
      rmSync(file);
    }
  });

  it('refuses bad input with a 400 OperationOutcome naming the path, never echoing it', async () => {
    const secret = '{"person": {"nhsNumber": "9434765919", ';
    const res = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: secret });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['text']);
    expect(JSON.stringify(res.body)).not.toContain('9434765919');
    const unknown = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'nope', text: 'x', x: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue.map((i: { expression: string[] }) => i.expression[0]).sort()).toEqual([
      'body.recordType',
      'body.x',
    ]);
    const context = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: accepted, context: { bogus: 1 } });
    expect(context.status).toBe(400);
    expect(context.body.issue[0].expression).toEqual(['context.bogus']);
    const csv = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'assessment', format: 'csv', text: 'a,b\n1,2\n' });
    expect(csv.status).toBe(400);
    const deep = await request(nb.app)
      .post(`${API}/run`)
      .set(auth)
      .send({ recordType: 'referral', text: `${'['.repeat(5000)}${']'.repeat(5000)}` });
    expect(deep.status).toBe(413);
    const outside = await request(nb.app)
      .get(`${API}/source`)
      .query({ file: 'mappings/../../etc/x.yaml' })
      .set(auth);
    expect(outside.status).toBe(404);
  });

  it('maps an inbound message with its inverse mapping into a navigator record', async () => {
    const text = readFileSync(
      path.join(ROOT, 'mappings/inbound/fhir-referral/examples/gravity-transaction.input.json'),
      'utf8',
    );
    const res = await request(nb.app)
      .post(`${API}/inbound`)
      .set(auth)
      .send({ mapping: 'fhir-referral', text });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('valid');
    expect(res.body.action).toBe('new');
    expect(res.body.record.person).toBeDefined();
  });

  it('opens a dead letter with its stored record (audited)', async () => {
    const record = { ...JSON.parse(accepted), id: 'REF-PLAYGROUND-DEAD' };
    await nb.navbridge.submitRecord(undefined, 'referral', record);
    const job = nb.jobs.find((j) => j.partnerId === GP.id)!;
    await failForGood(nb.t.db, job);
    const res = await request(nb.app).get(`${API}/dead-letters/${job.exchangeId}`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recordType: 'referral', site: 'leeds-north', partnerId: GP.id });
    expect(JSON.parse(res.body.text).id).toBe('REF-PLAYGROUND-DEAD');
    // With the context the service maps it with (the referral's identity and state, from the store).
    expect(res.body.context.referral).toMatchObject({ id: 'REF-PLAYGROUND-DEAD', site: 'leeds-north' });
    const { rows } = await nb.t.sql.query(
      `SELECT actor FROM audit_log WHERE action = 'playground-open' AND target_id = $1`,
      [job.exchangeId],
    );
    expect(rows).toHaveLength(1);
    const missing = await request(nb.app).get(`${API}/dead-letters/${crypto.randomUUID()}`).set(auth);
    expect(missing.status).toBe(404);
  });

  it('saves a golden example that `navbridge mappings test` then passes, and refuses a failing one', async () => {
    const { site: _site, ...noSite } = JSON.parse(accepted);
    const text = JSON.stringify({ ...noSite, id: 'REF-PLAYGROUND-1' }, null, 2);
    const now = '2026-04-01T08:00:00Z';
    const res = await request(nb.app)
      .post(`${API}/goldens`)
      .set(auth)
      .send({ recordType: 'referral', site: 'leeds-north', text, now, name: 'playground-saved' });
    expect(res.status).toBe(201);
    const dir = 'mappings/sites/leeds-north/examples/referral';
    expect(res.body.files).toEqual([
      `${dir}/playground-saved.input.json`,
      `${dir}/playground-saved.expected.json`,
      `${dir}/playground-saved.context.json`,
    ]);
    expect(
      existsSync(path.join(mappings, 'sites/leeds-north/examples/referral/playground-saved.input.json')),
    ).toBe(true);
    const again = await request(nb.app)
      .post(`${API}/goldens`)
      .set(auth)
      .send({ recordType: 'referral', site: 'leeds-north', text, name: 'playground-saved' });
    expect(again.status).toBe(409);
    const rejected = await request(nb.app)
      .post(`${API}/goldens`)
      .set(auth)
      .send({ recordType: 'referral', text: '{"id": "x"}', site: 'leeds-north', name: 'rejected-one' });
    expect(rejected.status).toBe(422);
    const marked = await request(nb.app).post(`${API}/goldens`).set(auth).send({
      recordType: 'referral',
      text: '{"id": "x"}',
      site: 'leeds-north',
      name: 'playground-rejected',
      rejection: true,
    });
    expect(marked.status).toBe(201);
    const tested = await mappingsTest(mappings, ['--filter', 'playground-']);
    expect(tested.stdout).toContain('✓ mappings/sites/leeds-north/examples/referral/playground-saved');
    expect(tested.stdout).toContain('✓ mappings/sites/leeds-north/examples/referral/playground-rejected');
    expect(tested.stdout).toMatch(/^2 passed, 0 failed$/m);
    expect(tested.code).toBe(0);
  });
});
