// Store first: a structurally valid record, or an inbound request, whose mapping fails is kept with
// its error (the caller still gets the same error answer), listed for the admin, and repaired by a
// remap once the mapping is fixed — here by a navbridge restarted on fixed mappings, as in life.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNavbridgeError } from '../../../src/errors/index.js';
import type { Caller } from '../../../src/service/types.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { gpPartner } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/records/${name}.json`, 'utf8')) as Record<string, unknown>;
const GP: Caller = { kind: 'partner', partnerId: 'gp-a' };
const PARTNERS = [
  gpPartner({
    inbound: { clientId: 'gp-a-client', publicKeysEnv: 'UNUSED_JWKS', defaultSite: 'leeds-north' },
  }),
];

/** A copy of the shipped mappings where `contacted` events and every inbound referral fail to map. */
function brokenMappings(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-broken-'));
  cpSync('mappings', path.join(dir, 'mappings'), { recursive: true });
  writeFileSync(
    path.join(dir, 'mappings/sites/leeds-north/event.yaml'),
    `recordType: event
resources:
  - name: broken-flag
    resourceType: Flag
    profile: navbridge-flag
    when: $record.type = 'contacted'
    subId: broken
    expression: |
      { "status": "not-a-status", "code": { "text": "x" }, "subject": { "reference": $ctx.referral.patient.reference } }
`,
  );
  const inbound = path.join(dir, 'mappings/inbound/fhir-referral/mapping.yaml');
  const text = readFileSync(inbound, 'utf8');
  writeFileSync(inbound, `${text.slice(0, text.indexOf('\nrecord: |'))}\nrecord: '"not a record"'\n`);
  return path.join(dir, 'mappings');
}

const gpReferral = {
  resourceType: 'ServiceRequest',
  contained: [
    {
      resourceType: 'Patient',
      id: 'p',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
      name: [{ family: 'Evans', given: ['Rhian'] }],
      birthDate: '1990-07-01',
    },
  ],
  identifier: [{ system: 'https://gp.example.org/Id/referral', value: 'R-store-first' }],
  status: 'active',
  intent: 'order',
  authoredOn: '2026-03-01T09:30:00+00:00',
  subject: { reference: '#p' },
  extension: [
    { url: 'https://fhir.navbridge.org.uk/StructureDefinition/consent-to-refer', valueBoolean: true },
  ],
};

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (isNavbridgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a NavbridgeError');
};

describe('store first, then remap', () => {
  let t: TestDb;
  let broken: TestNavbridge;
  let fixed: TestNavbridge;
  let mappingsDir: string;
  const clock = () => new Date('2026-03-02T09:00:00Z');

  beforeAll(async () => {
    t = await createTestDb();
    mappingsDir = brokenMappings();
    broken = await buildTestNavbridge({ db: t, mappingsDir, partners: PARTNERS, clock });
  });
  afterAll(async () => {
    await broken?.close();
    await fixed?.close();
    await t?.close();
    rmSync(path.dirname(mappingsDir), { recursive: true, force: true });
  });

  it('keeps a record whose mapping fails, and answers the caller exactly as before', async () => {
    const referral = { ...fixture('referral'), site: 'leeds-north' };
    expect((await broken.navbridge.submitRecord(undefined, 'referral', referral)).outcome).toBe('accepted');
    const event = fixture('event-contacted');
    const err = await errorOf(broken.navbridge.submitRecord(undefined, 'event', event));
    expect(err.code).toBe('MAPPING_ERROR');
    expect(err.status).toBe(500);
    expect(JSON.stringify(err.outcome)).toMatch(/sites\/leeds-north\/event\.yaml resources\[broken-flag\]/);
    // Sent again: the same answer, still one kept failure (its attempts counted).
    expect((await errorOf(broken.navbridge.submitRecord(undefined, 'event', event))).code).toBe(
      'MAPPING_ERROR',
    );
    const kept = await broken.navbridge.listFailedRecords(ADMIN, { state: 'mapping-failed' });
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ kind: 'record', site: 'leeds-north', recordType: 'event', attempts: 2 });
    expect(kept[0]).not.toHaveProperty('input');
    const { rows } = await t.sql.query("SELECT count(*)::int AS n FROM records WHERE record_type = 'event'");
    expect(rows[0].n).toBe(0);
  });

  it('keeps an inbound request whose inverse mapping fails, whole', async () => {
    const err = await errorOf(
      broken.navbridge.receiveReferral(GP, { kind: 'service-request', body: gpReferral }),
    );
    expect(err.code).toBe('MAPPING_ERROR');
    const kept = await broken.navbridge.listFailedRecords(ADMIN, {});
    expect(kept.map((k) => k.kind).sort()).toEqual(['inbound', 'record']);
    expect(kept.find((k) => k.kind === 'inbound')).toMatchObject({
      partnerId: 'gp-a',
      state: 'mapping-failed',
    });
  });

  it('only the admin lists and remaps failures', async () => {
    const site: Caller = { kind: 'site', siteId: 'leeds-north', keyId: 'k' };
    expect((await errorOf(broken.navbridge.listFailedRecords(site, {}))).code).toBe('REC_FORBIDDEN');
    expect((await errorOf(broken.navbridge.remapFailures(GP, {}))).code).toBe('REC_FORBIDDEN');
  });

  it('a remap while the mapping is still broken keeps the failure with the new error', async () => {
    const [first] = await broken.navbridge.listFailedRecords(ADMIN, { state: 'mapping-failed' });
    const again = await broken.navbridge.remapFailure(ADMIN, first!.id);
    expect(again.state).toBe('mapping-failed');
    const [after] = (await broken.navbridge.listFailedRecords(ADMIN, {})).filter((k) => k.id === first!.id);
    expect(after?.attempts).toBe((first?.attempts ?? 0) + 1);
  });

  it('after the mapping is fixed, remap through the admin API repairs yesterday’s failures', async () => {
    fixed = await buildTestNavbridge({ db: t, partners: PARTNERS, clock });
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const listed = await request(fixed.app).get('/admin/records?state=mapping-failed').set(auth);
    expect(listed.status).toBe(200);
    expect(listed.body.records).toHaveLength(2);
    const res = await request(fixed.app).post('/admin/records/remap').set(auth).send({ site: 'leeds-north' });
    expect(res.status).toBe(200);
    expect(res.body.remapped.map((r: { state: string }) => r.state)).toEqual(['remapped']);
    // The inbound request named no site before it failed: remapped by id.
    const inbound = listed.body.records.find((r: { kind: string }) => r.kind === 'inbound');
    const one = await request(fixed.app).post(`/admin/records/${inbound.id}/remap`).set(auth).send({});
    expect(one.status).toBe(200);
    expect(one.body.state).toBe('remapped');

    const events = await t.sql.query("SELECT count(*)::int AS n FROM records WHERE record_type = 'event'");
    expect(events.rows[0].n).toBe(1);
    const inboundRows = await t.sql.query(
      "SELECT count(*)::int AS n FROM exchanges WHERE direction = 'inbound'",
    );
    expect(inboundRows.rows[0].n).toBe(1);
    const left = await fixed.navbridge.listFailedRecords(ADMIN, { state: 'mapping-failed' });
    expect(left).toEqual([]);
    const done = await fixed.navbridge.listFailedRecords(ADMIN, { state: 'remapped' });
    expect(done.every((d) => d.resolution !== null)).toBe(true);
    // A resolved failure is not remapped twice.
    const twice = await request(fixed.app).post(`/admin/records/${inbound.id}/remap`).set(auth).send({});
    expect(twice.status).toBe(409);
  });
});
