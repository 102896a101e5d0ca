// The navigator API on a real PostgreSQL: records in through the service, referral lists with state
// and clock filters, referral detail, exchange delivery state — each site only ever seeing its own.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferralClocks } from '../../../src/clock/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { nhsNumber } from '../../support/people.js';
import {
  ADMIN_TOKEN,
  event,
  type Harness,
  referral,
  SITE_X_KEY,
  SITE_Y_KEY,
  startHarness,
} from './harness.js';

const X = { 'X-API-Key': SITE_X_KEY };
const Y = { 'X-API-Key': SITE_Y_KEY };
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
type Summary = { id: string; status: string; clocks: ReferralClocks; flags: string[]; site: string };

describe('navigator API', () => {
  let h: Harness;
  const post = (headers: Record<string, string>, recordType: string, record: unknown) =>
    request(h.app).post('/api/v1/records').set(headers).send({ recordType, record });
  const list = async (headers: Record<string, string>, query = '') => {
    const res = await request(h.app).get(`/api/v1/referrals${query}`).set(headers);
    expect(res.status).toBe(200);
    return res.body.referrals as Summary[];
  };
  const ids = (s: Summary[]) => s.map((r) => r.id);

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('accepts a referral (202, exchange ids, triage) and answers a resend as a duplicate', async () => {
    const ref = referral('leeds-north');
    const res = await post(X, 'referral', ref);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      outcome: 'accepted',
      site: 'leeds-north',
      id: ref.id,
      triage: { outcome: 'accept' },
    });
    expect(res.body.exchanges.length).toBeGreaterThan(0);
    expect(res.body.exchanges[0].id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await post(X, 'referral', ref);
    expect(again.status).toBe(202);
    expect(again.body.outcome).toBe('duplicate');
    expect(again.body.exchanges.map((x: { id: string }) => x.id)).toEqual(
      res.body.exchanges.map((x: { id: string }) => x.id),
    );
  });

  it('answers every problem of an invalid record at once, with paths, never the values', async () => {
    const bad = referral('leeds-north', { referralDate: 'yesterday', route: 'pigeon' });
    const res = await post(X, 'referral', bad);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const paths = res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0]);
    expect(paths).toEqual(expect.arrayContaining(['referralDate', 'route']));
    expect(JSON.stringify(res.body)).not.toContain('pigeon');
    const shape = await request(h.app)
      .post('/api/v1/records')
      .set(X)
      .send({ recordType: 'letter', record: {}, x: 1 });
    expect(shape.status).toBe(400);
    // An unknown member is named at its own path.
    expect(shape.body.issue.map((i: { expression?: string[] }) => i.expression?.[0]).sort()).toEqual([
      'body.recordType',
      'body.x',
    ]);
  });

  it('refuses a record for another site (403) and a non-JSON body (415)', async () => {
    const res = await post(Y, 'referral', referral('leeds-north'));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].code).toBe('forbidden');
    const text = await request(h.app)
      .post('/api/v1/records')
      .set(X)
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(text.status).toBe(415);
  });

  it('lists referrals by state: new, open, closed', async () => {
    const accepted = referral('leeds-north');
    const crisis = referral('leeds-north');
    crisis.risks = { toSelf: true, toOthers: false, inCrisis: true };
    const held = referral('leeds-north');
    delete held.consentToRefer;
    for (const r of [accepted, crisis, held]) expect((await post(X, 'referral', r)).status).toBe(202);
    const open = ids(await list(X, '?status=open'));
    const closed = ids(await list(X, '?status=closed'));
    expect(open).toEqual(expect.arrayContaining([accepted.id, held.id]));
    expect(open).not.toContain(crisis.id);
    expect(closed).toContain(crisis.id);
    const heldRow = (await list(X)).find((r) => r.id === held.id)!;
    expect(heldRow.flags).toContain('on-hold');
    expect((await request(h.app).get('/api/v1/referrals?status=pending').set(X)).status).toBe(400);
  });

  it('first-contact clock: overdue after 72 hours; an attempt does not stop it, contact does', async () => {
    const ref = referral('leeds-north', { receivedAt: '2025-03-10T09:00:00+00:00' });
    await post(X, 'referral', ref);
    const attempt = event('leeds-north', ref.id, 'contact-attempted', '2025-03-11T10:00:00Z', {
      method: 'phone',
    });
    h.clock.now = new Date('2025-03-11T11:00:00Z');
    expect((await post(X, 'event', attempt)).status).toBe(202);
    h.clock.now = new Date('2025-03-13T08:59:00Z');
    expect(ids(await list(X, '?overdue=contact'))).not.toContain(ref.id);
    h.clock.now = new Date('2025-03-13T09:01:00Z');
    const overdue = await list(X, '?overdue=contact');
    expect(ids(overdue)).toContain(ref.id);
    expect(overdue.find((r) => r.id === ref.id)!.clocks.contact).toEqual({
      dueAt: '2025-03-13T09:00:00.000Z',
      metAt: null,
      status: 'overdue',
    });
    const contacted = event('leeds-north', ref.id, 'contacted', '2025-03-13T09:00:30Z', { method: 'phone' });
    expect((await post(X, 'event', contacted)).status).toBe(202);
    expect(ids(await list(X, '?overdue=contact'))).not.toContain(ref.id);
    h.clock.now = new Date('2025-03-10T15:00:00Z');
  });

  it('assessment clock: overdue after 14 days unless an assessment-completed event stopped it', async () => {
    const done = referral('leeds-north', { receivedAt: '2025-03-10T10:00:00+00:00' });
    const notDone = referral('leeds-north', { receivedAt: '2025-03-10T10:00:00+00:00' });
    await post(X, 'referral', done);
    await post(X, 'referral', notDone);
    await post(X, 'event', event('leeds-north', done.id, 'assessment-completed', '2025-03-10T14:00:00Z'));
    h.clock.now = new Date('2025-03-25T12:00:00Z');
    const overdue = ids(await list(X, '?overdue=assessment'));
    expect(overdue).toContain(notDone.id);
    expect(overdue).not.toContain(done.id);
    h.clock.now = new Date('2025-03-10T15:00:00Z');
  });

  it('non-engagement: 3 attempts and no contact 28 days after the first (listed, never acted on)', async () => {
    const ref = referral('leeds-north', { receivedAt: '2025-03-10T10:00:00+00:00' });
    await post(X, 'referral', ref);
    h.clock.now = new Date('2025-03-14T10:00:00Z');
    for (const day of ['11', '12', '13'])
      expect(
        (
          await post(
            X,
            'event',
            event('leeds-north', ref.id, 'contact-attempted', `2025-03-${day}T10:00:00Z`, {
              method: 'phone',
            }),
          )
        ).status,
      ).toBe(202);
    // 28 days after 10:00 GMT on 11 March is 10:00 BST (09:00 UTC) on 8 April.
    h.clock.now = new Date('2025-04-08T08:59:00Z');
    expect(ids(await list(X, '?due=non-engagement'))).not.toContain(ref.id);
    h.clock.now = new Date('2025-04-08T09:00:00Z');
    const due = await list(X, '?due=non-engagement');
    expect(ids(due)).toContain(ref.id);
    expect(due.find((r) => r.id === ref.id)!.status).toBe('open');
    h.clock.now = new Date('2025-03-10T15:00:00Z');
  });

  it('a working-days site counts 3 working days with its bank holidays', async () => {
    // Friday 14:00 GMT at Cardiff → Wednesday 14:00.
    const ref = referral('cardiff-vale', {
      receivedAt: '2025-03-07T14:00:00+00:00',
      referralDate: '2025-03-07',
    });
    expect((await post(Y, 'referral', ref)).status).toBe(202);
    const row = (await list(Y)).find((r) => r.id === ref.id)!;
    expect(row.clocks.mode).toBe('working-days');
    expect(row.clocks.contact.dueAt).toBe('2025-03-12T14:00:00.000Z');
    expect(row.clocks.assessment.dueAt).toBe('2025-03-21T14:00:00.000Z');
  });

  it('shows one referral: record, triage, flags, linked referrals and exchanges', async () => {
    const nhs = nhsNumber();
    const first = referral('leeds-north', {}, nhs);
    const second = referral('leeds-north', {}, nhs);
    second.risks = { toSelf: true, toOthers: false, inCrisis: false };
    await post(X, 'referral', first);
    await post(X, 'referral', second);
    const res = await request(h.app).get(`/api/v1/referrals/${second.id}`).set(X);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: second.id,
      site: 'leeds-north',
      status: 'open',
      triage: { outcome: 'accept' },
    });
    expect(res.body.record.payload.person.nhsNumber).toBe(nhs);
    expect(res.body.linked.map((l: { id: string }) => l.id)).toEqual([first.id]);
    expect(res.body.flags).toEqual(expect.arrayContaining(['risk-to-self', 'linked-open-referral']));
    expect(res.body.exchanges.length).toBeGreaterThan(0);
    for (const x of res.body.exchanges) {
      expect(x.payload).toBeUndefined();
      expect(typeof x.status).toBe('string');
    }
    expect((await request(h.app).get('/api/v1/referrals/REF-nope').set(X)).status).toBe(404);
  });

  it('shows an exchange’s delivery state and attempts without its payload, only to its site', async () => {
    const ref = referral('leeds-north');
    const sent = await post(X, 'referral', ref);
    const id = sent.body.exchanges[0].id as string;
    const res = await request(h.app).get(`/api/v1/exchanges/${id}`).set(X);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, site: 'leeds-north', attempts: [] });
    expect(res.body.payload).toBeUndefined();
    expect(res.body.queueToken).toBeUndefined();
    expect((await request(h.app).get(`/api/v1/exchanges/${id}`).set(Y)).status).toBe(404);
    expect((await request(h.app).get('/api/v1/exchanges/not-a-uuid').set(X)).status).toBe(404);
    expect((await request(h.app).get(`/api/v1/exchanges/${id}`).set(ADMIN)).status).toBe(200);
  });

  it('keeps each site to its own referrals; the admin sees all, or one site', async () => {
    const y = referral('cardiff-vale', {
      referralDate: '2025-03-07',
      receivedAt: '2025-03-07T10:00:00+00:00',
    });
    await post(Y, 'referral', y);
    const xs = await list(X);
    const ys = await list(Y);
    expect(xs.every((r) => r.site === 'leeds-north')).toBe(true);
    expect(ys.every((r) => r.site === 'cardiff-vale')).toBe(true);
    expect(ids(ys)).toContain(y.id);
    expect(JSON.stringify(xs)).not.toContain(y.id);
    expect((await request(h.app).get(`/api/v1/referrals/${y.id}`).set(X)).status).toBe(404);
    expect((await request(h.app).get('/api/v1/referrals?site=cardiff-vale').set(X)).status).toBe(403);
    const all = await list(ADMIN);
    expect(new Set(all.map((r) => r.site))).toEqual(new Set(['leeds-north', 'cardiff-vale']));
    expect((await list(ADMIN, '?site=cardiff-vale')).every((r) => r.site === 'cardiff-vale')).toBe(true);
    expect((await request(h.app).get(`/api/v1/referrals/${y.id}`).set(ADMIN)).status).toBe(200);
    // An event naming another site's referral is refused for this site, not applied.
    const ev = event('leeds-north', y.id, 'contacted', '2025-03-10T12:00:00Z', { method: 'phone' });
    expect((await post(X, 'event', ev)).status).toBe(422);
    expect(recordFixture('event-contacted').type).toBe('contacted');
  });
});
