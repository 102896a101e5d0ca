// A seeded caseload whose every KPI figure can be worked out by hand (the expected values and the sums
// behind them are in kpi.test.ts). Times are written with the offset London had then: BST began at
// 01:00 UTC on 29 March 2026. Records go in through the navigator API, as a case system sends them.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import type { Assessment, SupportPlan } from '../../../src/records/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { event, type Harness, referral, SITE_X_KEY, SITE_Y_KEY } from '../navigator-api/harness.js';

type Site = 'leeds-north' | 'cardiff-vale';
const KEY: Record<Site, string> = { 'leeds-north': SITE_X_KEY, 'cardiff-vale': SITE_Y_KEY };

export class Seeder {
  constructor(private readonly h: Harness) {}

  async post(site: Site, recordType: string, record: unknown): Promise<void> {
    const res = await request(this.h.app)
      .post('/api/v1/records')
      .set('X-API-Key', KEY[site])
      .send({ recordType, record });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.outcome).toBe('accepted');
  }

  /** A referral received at `receivedAt` by `route`; `over` changes consent, risks, catchment... */
  async referral(site: Site, receivedAt: string, route: string, over: Record<string, unknown> = {}) {
    const r = referral(site, { receivedAt, referralDate: receivedAt.slice(0, 10), route, ...over });
    await this.post(site, 'referral', r);
    return r.id;
  }

  async event(site: Site, referralId: string, type: string, at: string, extra: Record<string, unknown> = {}) {
    const e = event(site, referralId, type, at, extra);
    await this.post(site, 'event', e);
    return e.id;
  }

  /** An HNA assessment completed at `completedAt`, with a need identified (or not) per domain. */
  async assessment(referralId: string, completedAt: string, needs: Record<string, boolean>) {
    const a = recordFixture<Assessment>('assessment-hna');
    a.id = `ASM-${randomUUID().slice(0, 8)}`;
    a.referralId = referralId;
    a.completedAt = completedAt;
    a.domains = Object.entries(needs).map(([domain, needIdentified]) => ({
      domain,
      notes: 'Discussed.',
      needIdentified,
    })) as Assessment['domains'];
    await this.post('leeds-north', 'assessment', a);
  }

  /** A support plan version with onward referrals to [name, type] services. */
  async plan(referralId: string, id: string, version: number, agreedAt: string, onward: [string, string][]) {
    const p = recordFixture<SupportPlan>('support-plan');
    p.id = id;
    p.version = version;
    p.referralId = referralId;
    p.agreedAt = agreedAt;
    delete p.reviewDate;
    p.onwardReferrals = onward.map(([name, type], i) => ({
      id: `OR${i + 1}`,
      service: { name, type },
      reason: 'Agreed with the person.',
      date: agreedAt.slice(0, 10),
    })) as SupportPlan['onwardReferrals'];
    await this.post('leeds-north', 'support-plan', p);
  }
}

const OUT_OF_AREA = (site: Site) => {
  const r = referral(site);
  return {
    person: {
      ...r.person,
      gpPracticeOds: 'B99999',
      address: { lines: ['1 Piccadilly'], postcode: 'M1 1AA' },
    },
    referrer: { ...r.referrer, odsCode: 'B99999' },
  };
};

/** leeds-north (calendar clock), period 2026-03-16 .. 2026-06-30, reported at 2026-07-01T12:00Z. */
export async function seedLeeds(s: Seeder): Promise<void> {
  const L = 'leeds-north';
  const noRisk = { toSelf: false, toOthers: false, inCrisis: false };
  // R1: contact in 1 day, assessed in 8, discharged by mutual agreement after 35 days of support.
  const r1 = await s.referral(L, '2026-03-16T09:00:00+00:00', 'gp');
  await s.event(L, r1, 'contacted', '2026-03-17T09:00:00+00:00', { method: 'phone' });
  await s.assessment(r1, '2026-03-24T09:00:00+00:00', {
    accommodation: true,
    benefits: true,
    finances: false,
  });
  await s.plan(r1, 'PLAN-R1', 1, '2026-03-26T10:00:00+00:00', [
    ['Citizens Advice Leeds', 'debt-advice'],
    ['Chapel Allerton Walking Group', 'physical-activity'],
  ]);
  await s.event(L, r1, 'outcome-recorded', '2026-03-24T10:00:00+00:00', { measure: 'wemwbs', score: 40 });
  await s.event(L, r1, 'outcome-recorded', '2026-04-21T08:00:00+01:00', { measure: 'wemwbs', score: 48 });
  await s.event(L, r1, 'discharged', '2026-04-21T10:00:00+01:00', {
    reason: 'mutual-agreement',
    summary: 'Goals met.',
  });
  // R2: received Friday in GMT, contacted Monday in BST 71.5 elapsed hours later (met; by the wall
  // clock it would be 72.5 hours); discharged (moved away) after 60 days of support.
  const r2 = await s.referral(L, '2026-03-27T12:00:00+00:00', 'gp');
  await s.event(L, r2, 'contacted', '2026-03-30T12:30:00+01:00', { method: 'phone' });
  await s.event(L, r2, 'assessment-completed', '2026-04-09T10:00:00+01:00');
  await s.event(L, r2, 'discharged', '2026-05-29T12:30:00+01:00', {
    reason: 'moved-away',
    summary: 'Moved.',
  });
  // R3: assessed 14 days later at 10:30 BST, half an hour after the due 10:00 London time (late; 14×24
  // hours would be 11:00 BST). Open.
  const r3 = await s.referral(L, '2026-03-20T10:00:00+00:00', 'social-prescriber');
  await s.event(L, r3, 'contacted', '2026-03-20T15:00:00+00:00', { method: 'phone' });
  await s.assessment(r3, '2026-04-03T10:30:00+01:00', { 'mental-health': true, accommodation: true });
  // R4: consent not known: held, never contacted (contact and assessment missed, still held).
  await s.referral(L, '2026-03-23T10:00:00+00:00', 'self', { consentToRefer: undefined });
  // R5: held, then consent confirmed at first contact 26 hours later; never assessed (missed).
  const r5 = await s.referral(L, '2026-04-01T08:00:00+01:00', 'cmht', { consentToRefer: undefined });
  await s.event(L, r5, 'contacted', '2026-04-02T10:00:00+01:00', { method: 'phone', consentConfirmed: true });
  // R6: held, consent refused at first contact: rejected (no-consent); assessment not counted.
  const r6 = await s.referral(L, '2026-04-06T09:00:00+01:00', 'gp', { consentToRefer: undefined });
  await s.event(L, r6, 'contacted', '2026-04-06T14:00:00+01:00', {
    method: 'phone',
    consentConfirmed: false,
  });
  // R7: in crisis, R8: out of area: rejected at triage; neither clock counted.
  await s.referral(L, '2026-04-07T10:00:00+01:00', 'crisis-team', { risks: { ...noRisk, inCrisis: true } });
  await s.referral(L, '2026-04-08T10:00:00+01:00', 'gp', OUT_OF_AREA(L));
  // R9: contacted after 96 hours (late), then rejected by the navigator as not eligible.
  const r9 = await s.referral(L, '2026-04-09T10:00:00+01:00', 'gp');
  await s.event(L, r9, 'contacted', '2026-04-13T10:00:00+01:00', { method: 'phone' });
  await s.event(L, r9, 'rejected', '2026-04-14T10:00:00+01:00', { reason: 'not-eligible', detail: '' });
  // R10: three attempts, never reached, discharged for non-engagement after 42 days.
  const r10 = await s.referral(L, '2026-04-14T10:00:00+01:00', 'practice-nurse');
  for (const at of ['2026-04-15T10:00:00+01:00', '2026-04-20T10:00:00+01:00', '2026-04-27T10:00:00+01:00'])
    await s.event(L, r10, 'contact-attempted', at, { method: 'phone' });
  await s.event(L, r10, 'discharged', '2026-05-26T10:00:00+01:00', {
    reason: 'non-engagement',
    summary: 'No reply.',
  });
  // R11: withdrawn before contact: neither clock counted.
  const r11 = await s.referral(L, '2026-04-20T10:00:00+01:00', 'gp');
  await s.event(L, r11, 'withdrawn', '2026-04-21T10:00:00+01:00');
  // R13: sent in error: not in the report at all.
  const r13 = await s.referral(L, '2026-04-22T10:00:00+01:00', 'gp');
  await s.event(L, r13, 'entered-in-error', '2026-04-22T11:00:00+01:00', {
    recordType: 'referral',
    recordId: r13,
  });
  // R14: plan v2 replaces v1; a wemwbs score entered in error (it would have been the last score).
  const r14 = await s.referral(L, '2026-05-01T10:00:00+01:00', 'cpn');
  await s.event(L, r14, 'contacted', '2026-05-01T16:00:00+01:00', { method: 'phone' });
  await s.assessment(r14, '2026-05-08T10:00:00+01:00', { finances: true, 'mental-health': true });
  await s.plan(r14, 'PLAN-R14', 1, '2026-05-09T10:00:00+01:00', [['Citizens Advice Leeds', 'debt-advice']]);
  await s.plan(r14, 'PLAN-R14', 2, '2026-05-16T10:00:00+01:00', [
    ['Citizens Advice Leeds', 'debt-advice'],
    ['Leeds Mind Counselling', 'counselling'],
  ]);
  for (const [at, measure, score] of [
    ['2026-05-08T11:00:00+01:00', 'phq-9', 18],
    ['2026-05-22T11:00:00+01:00', 'phq-9', 12],
    ['2026-06-05T11:00:00+01:00', 'phq-9', 9],
    ['2026-05-08T11:00:00+01:00', 'wemwbs', 30],
    ['2026-06-05T11:00:00+01:00', 'wemwbs', 35],
  ] as const)
    await s.event(L, r14, 'outcome-recorded', at, { measure, score });
  const wrong = await s.event(L, r14, 'outcome-recorded', '2026-06-10T11:00:00+01:00', {
    measure: 'wemwbs',
    score: 60,
  });
  await s.event(L, r14, 'entered-in-error', '2026-06-10T12:00:00+01:00', {
    recordType: 'event',
    recordId: wrong,
  });
  await s.event(L, r14, 'discharged', '2026-06-12T10:00:00+01:00', {
    reason: 'mutual-agreement',
    summary: 'Goals met.',
  });
  // R15: assessed by event; one phq-9 score only (no change counted); escalated to clinical care.
  const r15 = await s.referral(L, '2026-05-04T10:00:00+01:00', 'gp');
  await s.event(L, r15, 'contacted', '2026-05-05T10:00:00+01:00', { method: 'phone' });
  await s.event(L, r15, 'assessment-completed', '2026-05-12T10:00:00+01:00');
  await s.event(L, r15, 'outcome-recorded', '2026-05-12T11:00:00+01:00', { measure: 'phq-9', score: 10 });
  await s.event(L, r15, 'discharged', '2026-05-20T10:00:00+01:00', {
    reason: 'escalated-to-clinical-care',
    summary: 'Referred back to the CMHT.',
  });
  // Period edges in London time: 15 March 23:30 GMT is before; 30 June 23:30 BST (22:30 UTC) is in,
  // and not yet due at the report's instant (running); 1 July 00:30 BST (30 June 23:30 UTC) is after.
  await s.referral(L, '2026-03-15T23:30:00+00:00', 'gp');
  await s.referral(L, '2026-06-30T23:30:00+01:00', 'gp');
  await s.referral(L, '2026-07-01T00:30:00+01:00', 'gp', { referralDate: '2026-07-01' });
}

/** cardiff-vale (working days; Good Friday 3 April, Easter Monday 6 April, 4 and 25 May are holidays). */
export async function seedCardiff(s: Seeder): Promise<void> {
  const C = 'cardiff-vale';
  // C1: received Thursday 2 April 15:00; 3 working days → Thursday 9 April 15:00 (met at 14:00);
  // 10 working days → Monday 20 April 15:00 (assessed at 16:00: late).
  const c1 = await s.referral(C, '2026-04-02T15:00:00+01:00', 'gp');
  await s.event(C, c1, 'contacted', '2026-04-09T14:00:00+01:00', { method: 'phone' });
  await s.event(C, c1, 'assessment-completed', '2026-04-20T16:00:00+01:00');
  // C2: received Saturday 4 April: counts from 00:00 Tuesday 7 April; contact due 00:00 Friday 10 April
  // (met Thursday 23:00); never assessed (missed); support from 9 April 23:00 for 30 working days →
  // Friday 22 May 23:00; discharged at 12:00 that day: within (42 calendar days would be over).
  const c2 = await s.referral(C, '2026-04-04T11:00:00+01:00', 'self');
  await s.event(C, c2, 'contacted', '2026-04-09T23:00:00+01:00', { method: 'phone' });
  await s.event(C, c2, 'discharged', '2026-05-22T12:00:00+01:00', {
    reason: 'mutual-agreement',
    summary: 'Goals met.',
  });
}
