// Issue 9 §5: every read of patient data, every write, every failed authentication and every
// cross-tenant attempt is an audit row (who, what, which resource, when, outcome, source address),
// never carrying the credential or patient data; the chain verifies after all of it.
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/store/audit.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { waitFor } from '../../support/wait.js';
import {
  ADMIN_TOKEN,
  type Harness,
  referral,
  SITE_X_KEY,
  SITE_Y_KEY,
  startHarness,
} from '../navigator-api/harness.js';

const X = { 'X-API-Key': SITE_X_KEY };
const Y = { 'X-API-Key': SITE_Y_KEY };
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface Row {
  seq: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  source_address: string | null;
  detail: Record<string, unknown>;
}

describe('audit trail: every category leaves its row', () => {
  let h: Harness;
  let mark = 0;
  /** Rows written since the last call. */
  const since = async (): Promise<Row[]> => {
    const { rows } = await h.t.sql.query<Row>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq', [mark]);
    if (rows.length) mark = Number(rows[rows.length - 1]!.seq);
    return rows;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('50 failed logins leave 50 rows with the source address and never the credential', async () => {
    await since();
    const tries: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++)
      tries.push(request(h.app).get('/api/v1/referrals').set('X-API-Key', `wrong-key-${i}-0123456789abcdef`));
    for (let i = 0; i < 20; i++)
      tries.push(request(h.app).get('/admin/dead-letters').set('Authorization', `Bearer not-the-token-${i}`));
    for (let i = 0; i < 5; i++)
      tries.push(request(h.app).get('/fhir/Task/00000000-0000-4000-8000-000000000000'));
    // A token that names a configured partner but is signed by another key: the claim is recorded.
    for (let i = 0; i < 5; i++)
      tries.push(
        request(h.app)
          .get('/fhir/Task/00000000-0000-4000-8000-000000000000')
          .set('Authorization', `Bearer ${await h.sign(h.stranger)}`),
      );
    const answers = (await Promise.all(tries)) as { status: number }[];
    expect(answers.every((a) => a.status === 401)).toBe(true);
    const rows = await since();
    expect(rows).toHaveLength(50);
    for (const r of rows) {
      expect(r).toMatchObject({ actor: 'anonymous', action: 'authenticate', outcome: 'failure' });
      expect(r.source_address).toMatch(/127\.0\.0\.1/);
    }
    const by = (cred: string, reason: string) =>
      rows.filter((r) => r.detail.credential === cred && r.detail.reason === reason).length;
    expect([by('api-key', 'invalid'), by('bearer', 'invalid'), by('none', 'missing')]).toEqual([20, 25, 5]);
    expect(rows.filter((r) => r.detail.claimed === 'partner:gp-a')).toHaveLength(5);
    expect(JSON.stringify(rows)).not.toMatch(/wrong-key|not-the-token/);
  });

  it('writes and reads of the navigator API are rows; a refused write too', async () => {
    await since();
    const ref = referral('leeds-north');
    expect(
      (await request(h.app).post('/api/v1/records').set(X).send({ recordType: 'referral', record: ref }))
        .status,
    ).toBe(202);
    expect((await request(h.app).get('/api/v1/referrals').set(X)).status).toBe(200);
    expect((await request(h.app).get(`/api/v1/referrals/${ref.id}`).set(X)).status).toBe(200);
    const bad = await request(h.app)
      .post('/api/v1/records')
      .set(X)
      .send({ recordType: 'referral', record: { ...ref, id: 'REF-BAD', referralDate: 'not-a-date' } });
    expect(bad.status).toBe(400);
    const rows = await since();
    const actor = 'site:leeds-north:leeds-case-system';
    expect(rows.map((r) => [r.actor, r.action, r.target_type, r.target_id, r.outcome])).toEqual([
      [actor, 'write-record', 'referral', `leeds-north/${ref.id}`, 'success'],
      [actor, 'list-referrals', 'referral', null, 'success'],
      [actor, 'read', 'referral', `leeds-north/${ref.id}`, 'success'],
      [actor, 'write-record', 'referral', null, 'failure'],
    ]);
    expect(rows.every((r) => /127\.0\.0\.1/.test(r.source_address ?? ''))).toBe(true);
    expect(rows[1]!.detail).toMatchObject({ site: 'leeds-north', ids: expect.arrayContaining([ref.id]) });
    // No patient data: the person's family name and NHS number appear nowhere in the rows.
    expect(JSON.stringify(rows)).not.toContain(ref.person.name.family);
    expect(JSON.stringify(rows)).not.toContain(ref.person.nhsNumber);
  });

  it('a cross-tenant probe is a denied row naming the other tenant’s referral, answered 404', async () => {
    const ref = referral('cardiff-vale');
    expect(
      (await request(h.app).post('/api/v1/records').set(Y).send({ recordType: 'referral', record: ref }))
        .status,
    ).toBe(202);
    const exchanges = (
      await h.t.sql.query('SELECT id FROM exchanges WHERE site = $1 AND source_id = $2', [
        'cardiff-vale',
        ref.id,
      ])
    ).rows;
    await since();
    expect((await request(h.app).get(`/api/v1/referrals/${ref.id}`).set(X)).status).toBe(404);
    expect((await request(h.app).get(`/api/v1/exchanges/${exchanges[0]!.id}`).set(X)).status).toBe(404);
    expect((await request(h.app).get('/api/v1/referrals?site=cardiff-vale').set(X)).status).toBe(403);
    const rows = await since();
    const denied = rows.filter((r) => r.outcome === 'denied');
    expect(denied.map((r) => [r.action, r.target_type, r.target_id])).toEqual([
      ['access-denied', 'read-site-data', `cardiff-vale/${ref.id}`],
      ['access-denied', 'read-site-data', exchanges[0]!.id],
      ['access-denied', 'read-referrals', null],
    ]);
    for (const r of denied) {
      expect(r.actor).toBe('site:leeds-north:leeds-case-system');
      expect(r.source_address).toMatch(/127\.0\.0\.1/);
    }
  });

  it('partner reads are rows, found or not (a probe for an id that is not theirs included)', async () => {
    await since();
    const probe = '11111111-2222-4333-8444-555555555555';
    const res = await request(h.app)
      .get(`/fhir/ServiceRequest/${probe}`)
      .set('Authorization', `Bearer ${await h.sign(h.partnerA)}`);
    expect(res.status).toBe(404);
    const rows = await since();
    expect(rows.map((r) => [r.actor, r.action, r.target_type, r.target_id, r.outcome])).toEqual([
      ['partner:gp-a', 'read', 'ServiceRequest', probe, 'failure'],
    ]);
  });

  it('admin reads are rows: dead-letter lists and payload views', async () => {
    await since();
    expect((await request(h.app).get('/admin/dead-letters').set(ADMIN)).status).toBe(200);
    const { rows: ex } = await h.t.sql.query('SELECT id FROM exchanges LIMIT 1');
    expect((await request(h.app).get(`/admin/exchanges/${ex[0]!.id}`).set(ADMIN)).status).toBe(200);
    const rows = await since();
    expect(rows.map((r) => [r.action, r.target_id, r.outcome])).toEqual([
      ['list-dead-letters', null, 'success'],
      ['view-payload', ex[0]!.id, 'success'],
    ]);
    expect(rows[0]!.actor).toMatch(/^admin:[0-9a-f]{8}$/);
  });

  it('the chain verifies over every row written', async () => {
    expect(await verifyAuditChain(h.t.db)).toMatchObject({ ok: true });
  });
});

describe('audit trail: refusals at the HTTP edge', () => {
  let nb: TestNavbridge;
  beforeAll(async () => {
    nb = await buildTestNavbridge({
      config: { http: { rateLimits: { enabled: true, failedAuth: 3, failedAuthWindowSeconds: 600 } } },
    });
  });
  afterAll(async () => nb?.close());
  const count = async (where: string) =>
    Number((await nb.t.sql.query(`SELECT count(*)::int AS n FROM audit_log WHERE ${where}`)).rows[0].n);

  it('attempts blocked after too many failed authentications are rows too (10 attempts, 10 rows)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push(
        (await request(nb.app).get('/api/v1/referrals').set('X-API-Key', `guess-${i}-0123456789abcdef`))
          .status,
      );
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    await waitFor(async () => (await count(`action = 'authenticate'`)) === 10, { what: '10 rows' });
    expect(await count(`action = 'authenticate' AND detail->>'reason' = 'invalid'`)).toBe(3);
    expect(await count(`action = 'authenticate' AND detail->>'reason' = 'blocked'`)).toBe(7);
    expect(await count(`action = 'authenticate' AND source_address IS NULL`)).toBe(0);
  });

  it('the wrong kind of caller for an endpoint is a denied row (a site key at /admin)', async () => {
    const key = 'edge-site-key-0123456789abcdef';
    const other = await buildTestNavbridge({
      db: nb.t,
      config: {
        apiKeys: [
          { id: 'edge', site: 'leeds-north', sha256: createHash('sha256').update(key).digest('hex') },
        ],
      },
    });
    try {
      expect((await request(other.app).get('/admin/dead-letters').set('X-API-Key', key)).status).toBe(403);
      await waitFor(
        async () =>
          (await count(
            `action = 'access-denied' AND outcome = 'denied' AND target_type = 'endpoint' AND target_id = '/admin' AND actor = 'site:leeds-north:edge'`,
          )) === 1,
        { what: 'the denied row' },
      );
    } finally {
      await other.close();
    }
  });
});
