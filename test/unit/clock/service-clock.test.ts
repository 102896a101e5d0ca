import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  attemptsSinceContact,
  type ClockSettings,
  dayOfWeek,
  dueAt,
  serviceClocks,
  toLondon,
} from '../../../src/clock/index.js';

const calendar: ClockSettings = { serviceClock: 'calendar', bankHolidays: [] };
const working: ClockSettings = { serviceClock: 'working-days', bankHolidays: [] };
// England and Wales 2026 (Boxing Day is a Saturday: substitute Monday 28 December).
const ENGLAND_WALES_2026 = [
  '2026-01-01',
  '2026-04-03',
  '2026-04-06',
  '2026-05-04',
  '2026-05-25',
  '2026-08-31',
  '2026-12-25',
  '2026-12-28',
];
// Scotland 2026: 2 January and St Andrew's Day (Monday 30 November), no Easter Monday, August 3rd.
const SCOTLAND_2026 = [
  '2026-01-01',
  '2026-01-02',
  '2026-04-03',
  '2026-05-04',
  '2026-05-25',
  '2026-08-03',
  '2026-11-30',
  '2026-12-25',
  '2026-12-28',
];
const wales: ClockSettings = { serviceClock: 'working-days', bankHolidays: ENGLAND_WALES_2026 };
const d = (s: string) => new Date(s);
const iso = (x: Date) => x.toISOString();

describe('calendar clocks', () => {
  it('first contact is due 72 elapsed hours after receipt, even across the spring change', () => {
    expect(iso(dueAt('contact', d('2025-06-10T12:00:00Z'), calendar))).toBe('2025-06-13T12:00:00.000Z');
    // Friday 12:00 GMT + 72 h = Monday 12:00 UTC, which London reads as 13:00 BST.
    expect(iso(dueAt('contact', d('2025-03-28T12:00:00Z'), calendar))).toBe('2025-03-31T12:00:00.000Z');
  });

  it('assessment is due 14 calendar days later at the same London wall-clock time', () => {
    // 10:00 GMT on 20 March → 10:00 BST on 3 April (09:00 UTC: 14 days less one hour).
    expect(iso(dueAt('assessment', d('2025-03-20T10:00:00Z'), calendar))).toBe('2025-04-03T09:00:00.000Z');
    // 10:00 BST on 20 October → 10:00 GMT on 3 November.
    expect(iso(dueAt('assessment', d('2025-10-20T09:00:00Z'), calendar))).toBe('2025-11-03T10:00:00.000Z');
  });

  it('ignores weekends and bank holidays', () => {
    const s: ClockSettings = { serviceClock: 'calendar', bankHolidays: ENGLAND_WALES_2026 };
    expect(iso(dueAt('contact', d('2026-12-24T09:00:00Z'), s))).toBe('2026-12-27T09:00:00.000Z');
  });
});

describe('working-day clocks', () => {
  it('3 working days from a Monday morning is Thursday at the same time; 10 is the Monday a fortnight on', () => {
    const mon = d('2025-06-09T09:00:00Z'); // 10:00 BST
    expect(iso(dueAt('contact', mon, working))).toBe('2025-06-12T09:00:00.000Z');
    expect(iso(dueAt('assessment', mon, working))).toBe('2025-06-23T09:00:00.000Z');
  });

  it('skips the weekend from a Friday', () => {
    expect(iso(dueAt('contact', d('2025-06-13T14:00:00Z'), working))).toBe('2025-06-18T14:00:00.000Z');
  });

  it('a weekend receipt counts from 00:00 on Monday: due at midnight starting Thursday', () => {
    expect(iso(dueAt('contact', d('2025-06-14T11:00:00Z'), working))).toBe('2025-06-18T23:00:00.000Z');
    expect(iso(dueAt('contact', d('2025-06-15T22:59:00Z'), working))).toBe('2025-06-18T23:00:00.000Z');
    // 23:30 UTC on Sunday is already Monday 00:30 in London: a working day, counted from then.
    expect(iso(dueAt('contact', d('2025-06-15T23:30:00Z'), working))).toBe('2025-06-18T23:30:00.000Z');
  });

  it('keeps the London wall-clock time across the spring and autumn changes', () => {
    // Friday 28 March 2025 10:00 GMT → Wednesday 2 April 10:00 BST.
    expect(iso(dueAt('contact', d('2025-03-28T10:00:00Z'), working))).toBe('2025-04-02T09:00:00.000Z');
    // Friday 24 October 2025 10:00 BST → Wednesday 29 October 10:00 GMT.
    expect(iso(dueAt('contact', d('2025-10-24T09:00:00Z'), working))).toBe('2025-10-29T10:00:00.000Z');
    // Received on the Saturday of the autumn change: from Monday 00:00 GMT.
    expect(iso(dueAt('contact', d('2025-10-25T12:00:00Z'), working))).toBe('2025-10-30T00:00:00.000Z');
  });

  it('skips Welsh/English Easter bank holidays', () => {
    // Thursday before Good Friday 2026, 14:00 BST → Tue 7, Wed 8, Thu 9 April.
    expect(iso(dueAt('contact', d('2026-04-02T13:00:00Z'), wales))).toBe('2026-04-09T13:00:00.000Z');
    // Received on Easter Monday: counts from Tuesday 00:00 → due 00:00 BST Friday 10 April.
    expect(iso(dueAt('contact', d('2026-04-06T10:00:00Z'), wales))).toBe('2026-04-09T23:00:00.000Z');
  });

  it('bank holidays differ by nation', () => {
    const scotland: ClockSettings = { serviceClock: 'working-days', bankHolidays: SCOTLAND_2026 };
    // Thursday 2 April 2026 13:00 UTC: Scotland works Easter Monday, Wales does not.
    expect(iso(dueAt('contact', d('2026-04-02T13:00:00Z'), scotland))).toBe('2026-04-08T13:00:00.000Z');
    // New Year: Wednesday 31 Dec 2025 09:00 GMT. England/Wales: Fri 2, Mon 5, Tue 6 → Tue 6 Jan.
    expect(iso(dueAt('contact', d('2025-12-31T09:00:00Z'), wales))).toBe('2026-01-06T09:00:00.000Z');
    // Scotland also closes on 2 January: Mon 5, Tue 6, Wed 7.
    expect(iso(dueAt('contact', d('2025-12-31T09:00:00Z'), scotland))).toBe('2026-01-07T09:00:00.000Z');
  });

  it('skips Christmas and the substitute Boxing Day', () => {
    // Wednesday 23 Dec 2026 09:00 GMT: Thu 24, (Fri 25, Mon 28 holidays), Tue 29, Wed 30.
    expect(iso(dueAt('contact', d('2026-12-23T09:00:00Z'), wales))).toBe('2026-12-30T09:00:00.000Z');
    expect(iso(dueAt('contact', d('2026-12-23T09:00:00Z'), working))).toBe('2026-12-28T09:00:00.000Z');
  });

  it('always lands on a working day, after the start, never more than the span allows (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.integer({ min: 1, max: 15 }),
        (t, n) => {
          const start = new Date(t);
          const due = addWorkingDays(start, n, ENGLAND_WALES_2026);
          const date = toLondon(due).date;
          const dow = dayOfWeek(date);
          const onWorkingDay = dow !== 0 && dow !== 6 && !ENGLAND_WALES_2026.includes(date);
          // A non-working-day start lands at 00:00, the start of the day after the n-th working day.
          expect(onWorkingDay || toLondon(due).msOfDay === 0).toBe(true);
          expect(due.getTime()).toBeGreaterThan(start.getTime());
          // n working days never take more than n + 2 weeks' worth of weekends and holidays.
          expect(due.getTime() - start.getTime()).toBeLessThanOrEqual(
            ((n * 7) / 5) * 86_400_000 + 20 * 86_400_000,
          );
        },
      ),
    );
  });
});

describe('clock states', () => {
  const receivedAt = d('2025-06-10T12:00:00Z');
  const ev = (type: string, at: string) => ({ type, at: d(at) });

  it('a contact attempt does not stop the first-contact clock; contact does', () => {
    const attempts = [ev('contact-attempted', '2025-06-11T09:00:00Z')];
    const before = serviceClocks(
      { receivedAt, events: attempts, assessmentsAt: [] },
      calendar,
      d('2025-06-13T12:00:00Z'),
    );
    expect(before.contact.status).toBe('running');
    const after = serviceClocks(
      { receivedAt, events: attempts, assessmentsAt: [] },
      calendar,
      d('2025-06-13T12:00:01Z'),
    );
    expect(after.contact).toEqual({ dueAt: '2025-06-13T12:00:00.000Z', metAt: null, status: 'overdue' });
    const contacted = [...attempts, ev('contacted', '2025-06-12T10:00:00Z')];
    const met = serviceClocks(
      { receivedAt, events: contacted, assessmentsAt: [] },
      calendar,
      d('2025-07-01T00:00:00Z'),
    );
    expect(met.contact).toMatchObject({ status: 'met', metAt: '2025-06-12T10:00:00.000Z' });
  });

  it('contact after the due time is met late; a hold changes nothing', () => {
    const events = [ev('contacted', '2025-06-14T10:00:00Z')];
    const c = serviceClocks({ receivedAt, events, assessmentsAt: [] }, calendar, d('2025-06-20T00:00:00Z'));
    expect(c.contact.status).toBe('met-late');
    expect(c.assessment.status).toBe('running');
  });

  it('the assessment clock stops at an assessment-completed event or an assessment record', () => {
    const now = d('2025-06-30T00:00:00Z');
    expect(
      serviceClocks({ receivedAt, events: [], assessmentsAt: [] }, calendar, now).assessment.status,
    ).toBe('overdue');
    expect(
      serviceClocks(
        { receivedAt, events: [ev('assessment-completed', '2025-06-20T10:00:00Z')], assessmentsAt: [] },
        calendar,
        now,
      ).assessment,
    ).toMatchObject({ status: 'met', metAt: '2025-06-20T10:00:00.000Z' });
    expect(
      serviceClocks({ receivedAt, events: [], assessmentsAt: [d('2025-06-25T10:00:00Z')] }, calendar, now)
        .assessment.status,
    ).toBe('met-late');
  });

  it('a closed referral stops unmet clocks (never overdue)', () => {
    const c = serviceClocks(
      { receivedAt, events: [], assessmentsAt: [], closedAt: d('2025-06-11T00:00:00Z') },
      calendar,
      d('2025-08-01T00:00:00Z'),
    );
    expect([c.contact.status, c.assessment.status, c.nonEngagement.due]).toEqual([
      'stopped',
      'stopped',
      false,
    ]);
  });

  it('non-engagement: at least 3 attempts and no contact 28 days after the first attempt', () => {
    const attempts = [
      ev('contact-attempted', '2025-06-11T09:00:00Z'),
      ev('contact-attempted', '2025-06-18T09:00:00Z'),
      ev('contact-attempted', '2025-06-25T09:00:00Z'),
    ];
    const at = (now: string, events = attempts) =>
      serviceClocks({ receivedAt, events, assessmentsAt: [] }, calendar, d(now)).nonEngagement;
    expect(at('2025-07-09T08:59:59Z')).toMatchObject({
      attempts: 3,
      due: false,
      reviewFrom: '2025-07-09T09:00:00.000Z',
    });
    expect(at('2025-07-09T09:00:00Z').due).toBe(true);
    expect(at('2025-08-01T00:00:00Z', attempts.slice(0, 2)).due).toBe(false);
    // Contact after the first attempt resets the count.
    expect(at('2025-08-01T00:00:00Z', [...attempts, ev('contacted', '2025-06-26T09:00:00Z')])).toMatchObject({
      attempts: 0,
      due: false,
    });
    // Contact before the attempts does not.
    expect(at('2025-08-01T00:00:00Z', [ev('contacted', '2025-06-10T15:00:00Z'), ...attempts]).due).toBe(true);
  });
});

describe('attemptsSinceContact', () => {
  const ev = (type: string, at: string, method?: string) => ({
    type,
    at: new Date(at),
    ...(method ? { method } : {}),
  });
  it('keeps the attempts after the last contact, oldest first, whatever the order given', () => {
    const events = [
      ev('contact-attempted', '2026-02-20T09:00:00Z', 'letter'),
      ev('contact-attempted', '2026-02-01T09:00:00Z', 'phone'),
      ev('contacted', '2026-02-05T09:00:00Z', 'phone'),
      ev('contact-attempted', '2026-02-10T09:00:00Z', 'text'),
      ev('accepted', '2026-02-11T09:00:00Z'),
    ];
    expect(attemptsSinceContact(events).map((e) => e.method)).toEqual(['text', 'letter']);
  });
  it('keeps every attempt when contact was never made', () => {
    const events = [
      ev('contact-attempted', '2026-02-02T09:00:00Z', 'phone'),
      ev('accepted', '2026-02-01T09:00:00Z'),
    ];
    expect(attemptsSinceContact(events)).toHaveLength(1);
  });
});
