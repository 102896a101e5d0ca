// Consent and tenancy on every partner read (issue 9 §1). A partner reads only what navbridge
// delivered to it, or would deliver to it now under the consent in force: a copy withheld for want of
// consent, an unroutable one, one addressed to another partner, or an undelivered one the person has
// since refused is answered 404 (as if it did not exist) and the refusal leaves an audit row.
// The referral comes in through the FHIR API; the site submits its journey through the navigator API;
// "delivered" is the status the worker writes (delivery itself is tested in test/integration/delivery).
import { createHash, randomUUID } from 'node:crypto';
import type { Bundle, Task } from 'fhir/r4.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Referral } from '../../../src/records/index.js';
import { unseal } from '../../support/db.js';
import { partnerReferralBundle } from '../../support/fhir-examples.js';
import { recordFixture, serviceRequestIdOf } from '../../support/fixtures.js';
import { clientAssertion, jwksJson, type SigningKey, signingKey } from '../../support/keys.js';
import { buildTestNavbridge, TEST_AUDIENCE, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';

const FHIR = 'application/fhir+json';
const SITE_KEY = 'consent-site-key-leeds-0123456789abcdef';
const SITE_ID = 'leeds-north';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('partner reads follow consent and tenancy', () => {
  let nb: TestNavbridge;
  const clock = { now: new Date('2025-03-10T15:00:00Z') };
  const keys: Record<'a' | 'b', SigningKey> = {} as Record<'a' | 'b', SigningKey>;
  const auth = async (p: 'a' | 'b') => ({
    Authorization: `Bearer ${await clientAssertion(keys[p], {
      clientId: `gp-${p}-client`,
      audience: TEST_AUDIENCE,
      now: clock.now,
    })}`,
  });
  const site = { 'X-API-Key': SITE_KEY };

  beforeAll(async () => {
    keys.a = await signingKey('RS256');
    keys.b = await signingKey('ES256');
    nb = await buildTestNavbridge({
      clock,
      partners: [
        {
          id: 'gp-a',
          name: 'Chapel Allerton Medical Centre',
          kind: 'gp-practice',
          odsCodes: ['B86016'],
          baseUrl: 'http://127.0.0.1:9/fhir',
          mode: 'transaction',
          receives: ['referral-status', 'assessment', 'support-plan', 'discharge'],
          inbound: { clientId: 'gp-a-client', publicKeysEnv: 'GP_A_JWKS', defaultSite: SITE_ID },
        },
        {
          id: 'gp-b',
          name: 'Another practice',
          kind: 'gp-practice',
          odsCodes: ['B86099'],
          baseUrl: 'http://127.0.0.1:9/fhir',
          mode: 'transaction',
          receives: ['referral-status', 'discharge'],
          inbound: { clientId: 'gp-b-client', publicKeysEnv: 'GP_B_JWKS', defaultSite: SITE_ID },
        },
        {
          id: 'cab',
          name: 'Citizens Advice Leeds',
          kind: 'community-service',
          odsCodes: ['NCAB01'],
          baseUrl: 'http://127.0.0.1:9/fhir',
          mode: 'transaction',
          receives: ['onward-referral'],
        },
      ],
      config: { apiKeys: [{ id: 'leeds-case-system', site: SITE_ID, sha256: sha(SITE_KEY) }] },
      env: { GP_A_JWKS: await jwksJson(keys.a), GP_B_JWKS: await jwksJson(keys.b) },
    });
  });
  afterAll(async () => nb?.close());

  /** Partner A refers a new person; answers the ServiceRequest id and the stored referral. */
  async function refer(): Promise<{ srId: string; referral: Referral }> {
    const { bundle } = partnerReferralBundle({
      nhs: nhsNumber(),
      family: `Consent${randomUUID().slice(0, 6)}`,
    });
    const res = await request(nb.app)
      .post('/fhir')
      .set(await auth('a'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify(bundle));
    expect(res.status).toBe(201);
    const srId = serviceRequestIdOf(res.get('Location'));
    const { rows } = await nb.t.sql.query(
      `SELECT r.payload FROM records r JOIN referrals f ON f.site = r.site AND f.referral_id = r.source_id
        WHERE f.source_partner_id = 'gp-a' AND r.record_type = 'referral' ORDER BY r.received_at DESC LIMIT 1`,
    );
    return { srId, referral: await unseal<Referral>(rows[0].payload, 'records.payload') };
  }

  async function submit(recordType: string, record: unknown): Promise<string[]> {
    const res = await request(nb.app).post('/api/v1/records').set(site).send({ recordType, record });
    expect({ status: res.status, body: res.status === 202 ? null : JSON.stringify(res.body) }).toEqual({
      status: 202,
      body: null,
    });
    return (res.body.exchanges as { id: string }[]).map((x) => x.id);
  }

  async function exchangesOf(referralId: string) {
    const { rows } = await nb.t.sql.query(
      `SELECT id, partner_id, record_type, status FROM exchanges
        WHERE direction = 'outbound' AND referral_id = $1 ORDER BY seq`,
      [referralId],
    );
    return rows as { id: string; partner_id: string | null; record_type: string; status: string }[];
  }

  const delivered = (ids: readonly string[]) =>
    nb.t.sql.query(`UPDATE exchanges SET status = 'delivered' WHERE id = ANY($1)`, [ids]);

  async function taskOf(srId: string, p: 'a' | 'b' = 'a'): Promise<Task | undefined> {
    const res = await request(nb.app)
      .get(`/fhir/Task?focus=ServiceRequest/${srId}`)
      .set(await auth(p));
    expect(res.status).toBe(200);
    return (res.body as Bundle).entry?.[0]?.resource as Task | undefined;
  }

  const event = (referralId: string, type: string, at: string, extra: Record<string, unknown> = {}) => ({
    id: `EV-${randomUUID().slice(0, 8)}`,
    site: SITE_ID,
    version: 1,
    referralId,
    type,
    at,
    ...extra,
  });

  const bs = (t: Task) => t.businessStatus?.coding?.[0]?.code;

  async function deniedRows(exchangeId: string): Promise<number> {
    const { rows } = await nb.t.sql.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'access-denied' AND target_id = $1`,
      [exchangeId],
    );
    return rows[0].n;
  }

  it('a pending status update is readable while the person has not objected', async () => {
    const { srId } = await refer();
    const task = await taskOf(srId);
    expect(task?.resourceType).toBe('Task');
    const read = await request(nb.app)
      .get(`/fhir/Task/${task!.id}`)
      .set(await auth('a'));
    expect(read.status).toBe(200);
    expect(read.get('Cache-Control') ?? '').not.toMatch(/public/);
  });

  it('another partner reading the same Task or ServiceRequest is answered 404 and audited', async () => {
    const { srId, referral } = await refer();
    const task = (await taskOf(srId))!;
    expect(await taskOf(srId, 'b')).toBeUndefined();
    const b = await request(nb.app)
      .get(`/fhir/Task/${task.id}`)
      .set(await auth('b'));
    expect(b.status).toBe(404);
    expect(b.text).not.toContain(task.id);
    const bsr = await request(nb.app)
      .get(`/fhir/ServiceRequest/${srId}`)
      .set(await auth('b'));
    expect(bsr.status).toBe(404);
    // B has no copy at all: nothing to name; the A copy is untouched by B's probe.
    const ack = (await exchangesOf(referral.id)).find((x) => x.partner_id === 'gp-a')!;
    expect(await deniedRows(ack.id)).toBe(0);
  });

  it('a later refusal hides an undelivered update, and the delivered one before it stays readable', async () => {
    const { srId, referral } = await refer();
    const [ack] = await exchangesOf(referral.id);
    expect(ack).toMatchObject({ partner_id: 'gp-a', status: 'pending' });
    await delivered([ack!.id]);
    // Contacted: a newer Task, still pending when the person objects to status updates.
    await submit('event', event(referral.id, 'contacted', '2025-03-10T12:00:00Z', { method: 'phone' }));
    const afterContact = (await taskOf(srId))!;
    const newest = (await exchangesOf(referral.id)).at(-1)!;
    expect(newest).toMatchObject({ partner_id: 'gp-a', status: 'pending' });
    const deliveredCopy = await unseal<Bundle>(
      (await nb.t.sql.query(`SELECT payload FROM exchanges WHERE id = $1`, [ack!.id])).rows[0].payload,
      'exchanges.payload',
    );
    const deliveredTask = deliveredCopy
      .entry!.map((e) => e.resource)
      .find((r) => r?.resourceType === 'Task') as Task;
    expect(bs(afterContact)).not.toBe(bs(deliveredTask));

    await submit('referral', {
      ...referral,
      version: referral.version + 1,
      sharing: { statusUpdates: false, withReferrer: false, withGp: false, withOnwardServices: false },
    });
    const now = (await taskOf(srId))!;
    expect(bs(now)).toBe(bs(deliveredTask));
    const byId = await request(nb.app)
      .get(`/fhir/Task/${now.id}`)
      .set(await auth('a'));
    expect(bs(byId.body)).toBe(bs(deliveredTask));

    // A discharge after the refusal is withheld: never readable, the delivered copy still is.
    await submit(
      'event',
      event(referral.id, 'discharged', '2025-03-10T14:00:00Z', {
        reason: 'mutual-agreement',
        summary: 'Goals met.',
      }),
    );
    const all = await exchangesOf(referral.id);
    expect(all.filter((x) => x.status === 'withheld-no-consent').length).toBeGreaterThan(0);
    expect(bs((await taskOf(srId))!)).toBe(bs(deliveredTask));

    // Once delivered, the update the person later refused was the partner's: it reads it.
    await delivered([newest.id]);
    expect(bs((await taskOf(srId))!)).toBe(bs(afterContact));
  });

  it('an undelivered copy nobody may read now is answered 404 and leaves an access-denied row', async () => {
    const { srId, referral } = await refer();
    const [ack] = await exchangesOf(referral.id);
    await submit('referral', {
      ...referral,
      version: referral.version + 1,
      sharing: { statusUpdates: false },
    });
    expect(await taskOf(srId)).toBeUndefined();
    const sr = await request(nb.app)
      .get(`/fhir/ServiceRequest/${srId}`)
      .set(await auth('a'));
    expect(sr.status).toBe(404);
    expect(sr.body.resourceType).toBe('OperationOutcome');
    expect(await deniedRows(ack!.id)).toBeGreaterThan(0);
    const { rows } = await nb.t.sql.query(
      `SELECT actor, detail FROM audit_log WHERE action = 'access-denied' AND target_id = $1 LIMIT 1`,
      [ack!.id],
    );
    expect(rows[0].actor).toContain('gp-a');
    expect(JSON.stringify(rows[0].detail)).not.toContain(referral.person.nhsNumber ?? 'none');
  });

  it('a withheld onward referral (no agreement to share) is never readable, by the referrer or anyone', async () => {
    const { referral } = await refer();
    const plan = recordFixture<Record<string, unknown>>('support-plan');
    plan.id = `PLAN-${randomUUID().slice(0, 6)}`;
    plan.referralId = referral.id;
    plan.site = SITE_ID;
    plan.version = 1;
    plan.agreedAt = '2025-03-10T11:00:00Z';
    plan.onwardReferrals = [
      {
        id: 'OR1',
        service: { name: 'Citizens Advice Leeds', type: 'debt-advice', odsCode: 'NCAB01' },
        reason: 'Rent arrears and a catalogue debt.',
        date: '2025-03-10',
      },
      {
        id: 'OR2',
        service: { name: 'A walking group', type: 'social-group' },
        reason: 'Company.',
        date: '2025-03-10',
      },
    ];
    await submit('support-plan', plan);
    const { rows } = await nb.t.sql.query(
      `SELECT e.id, e.partner_id, e.status, e.payload FROM exchanges e
        WHERE e.referral_id = $1 AND e.record_type = 'support-plan' AND e.status IN ('withheld-no-consent', 'no-route')`,
      [referral.id],
    );
    const unsent: { id: string; partner_id: string | null; status: string; sr: string }[] = [];
    for (const r of rows)
      for (const e of (await unseal<Bundle>(r.payload, 'exchanges.payload')).entry ?? [])
        if (e.resource?.resourceType === 'ServiceRequest')
          unsent.push({ id: r.id, partner_id: r.partner_id, status: r.status, sr: e.resource.id! });
    expect(unsent.map((x) => x.status).sort()).toEqual(expect.arrayContaining(['withheld-no-consent']));
    for (const x of unsent)
      for (const p of ['a', 'b'] as const) {
        const res = await request(nb.app)
          .get(`/fhir/ServiceRequest/${x.sr}`)
          .set(await auth(p));
        expect({ p, sr: x.sr, status: res.status }).toEqual({ p, sr: x.sr, status: 404 });
        expect(res.text).not.toContain(x.sr);
        expect(res.text).not.toContain('arrears');
      }
  });

  it('sites and admins cannot use the partner reads; no caller is answered 200 without a partner token', async () => {
    const { srId } = await refer();
    for (const headers of [site, {}, { Authorization: 'Bearer nonsense' }]) {
      const res = await request(nb.app).get(`/fhir/ServiceRequest/${srId}`).set(headers);
      expect([401, 403]).toContain(res.status);
    }
  });
});
