// Service clocks from the good-practice guide: first contact and assessment due dates, breaches at a
// given instant, and the non-engagement review point. Pure: `now` and the referral's history are passed in.
import { addDays, dayOfWeek, fromLondon, toLondon } from './london-time.js';

export type ClockMode = 'calendar' | 'working-days';

export interface ClockSettings {
  serviceClock: ClockMode;
  /** The site's bank holidays (YYYY-MM-DD, London dates); they differ by nation. */
  bankHolidays: readonly string[];
}

/** The targets, in both modes. 72 hours = 3 working days; 14 days = 10 working days. */
export const CLOCK_RULES = {
  contact: { hours: 72, workingDays: 3 },
  assessment: { days: 14, workingDays: 10 },
  nonEngagement: { attempts: 3, days: 28 },
} as const;

export interface ClockEvent {
  type: string;
  at: Date;
  /** How contact was attempted or made (contact events), when recorded. */
  method?: string;
}

/**
 * The contact attempts since the last successful contact (or since receipt), oldest first: what the
 * non-engagement review counts and what a non-engagement discharge letter lists.
 */
export function attemptsSinceContact<E extends ClockEvent>(events: readonly E[]): E[] {
  const sorted = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  const lastContact = sorted.filter((e) => e.type === 'contacted').at(-1);
  return sorted.filter(
    (e) => e.type === 'contact-attempted' && (!lastContact || e.at.getTime() > lastContact.at.getTime()),
  );
}

export interface ClockHistory {
  receivedAt: Date;
  /** The referral's events (latest version of each, retracted ones removed), any order. */
  events: readonly ClockEvent[];
  /** When each assessment record was completed. */
  assessmentsAt: readonly Date[];
  /** Set when the referral is closed (discharged, rejected, withdrawn): an unmet clock stops. */
  closedAt?: Date | null;
}

/**
 * running: not met, not yet due. overdue: not met and past due at `now` (a breach). met / met-late:
 * stopped by its event on or before / after the due instant. stopped: the referral closed unmet.
 */
export type ClockStatus = 'running' | 'overdue' | 'met' | 'met-late' | 'stopped';

export interface ClockState {
  dueAt: string;
  metAt: string | null;
  status: ClockStatus;
}

export interface NonEngagementState {
  /** Contact attempts since the last successful contact (or since receipt). */
  attempts: number;
  firstAttemptAt: string | null;
  /** 28 calendar days after the first of those attempts. */
  reviewFrom: string | null;
  /** For the navigator to decide on discharge: never acted on automatically. */
  due: boolean;
}

export interface ReferralClocks {
  mode: ClockMode;
  receivedAt: string;
  contact: ClockState;
  assessment: ClockState;
  nonEngagement: NonEngagementState;
}

function workingDayTest(holidays: readonly string[]): (date: string) => boolean {
  const set = new Set(holidays);
  return (date) => {
    const dow = dayOfWeek(date);
    return dow !== 0 && dow !== 6 && !set.has(date);
  };
}

/**
 * `n` working days after `start`: the same London wall-clock time on the n-th working day after the
 * start's date. A start on a weekend or bank holiday counts from 00:00 on the next working day, so
 * received on Saturday → 3 working days are Monday, Tuesday and Wednesday, due 00:00 Thursday.
 */
export function addWorkingDays(start: Date, n: number, holidays: readonly string[]): Date {
  const isWorking = workingDayTest(holidays);
  const local = toLondon(start);
  let date = local.date;
  let msOfDay = local.msOfDay;
  if (!isWorking(date)) {
    do date = addDays(date, 1);
    while (!isWorking(date));
    msOfDay = 0;
  }
  for (let i = 0; i < n; i++) {
    do date = addDays(date, 1);
    while (!isWorking(date));
  }
  return fromLondon({ date, msOfDay });
}

/** The same London wall-clock time `days` calendar days later (23, 24 or 25 hours per day across DST). */
export function addCalendarDays(start: Date, days: number): Date {
  const local = toLondon(start);
  return fromLondon({ date: addDays(local.date, days), msOfDay: local.msOfDay });
}

export function dueAt(kind: 'contact' | 'assessment', receivedAt: Date, settings: ClockSettings): Date {
  if (settings.serviceClock === 'working-days') {
    return addWorkingDays(receivedAt, CLOCK_RULES[kind].workingDays, settings.bankHolidays);
  }
  // 72 hours is elapsed time; 14 days is calendar days at the same London wall-clock time.
  return kind === 'contact'
    ? new Date(receivedAt.getTime() + CLOCK_RULES.contact.hours * 3_600_000)
    : addCalendarDays(receivedAt, CLOCK_RULES.assessment.days);
}

function clockState(
  due: Date,
  stops: readonly Date[],
  closedAt: Date | null | undefined,
  now: Date,
): ClockState {
  const met = stops.length ? new Date(Math.min(...stops.map((d) => d.getTime()))) : null;
  let status: ClockStatus;
  if (met) status = met.getTime() <= due.getTime() ? 'met' : 'met-late';
  else if (closedAt) status = 'stopped';
  else status = now.getTime() > due.getTime() ? 'overdue' : 'running';
  return { dueAt: due.toISOString(), metAt: met ? met.toISOString() : null, status };
}

function nonEngagement(h: ClockHistory, now: Date): NonEngagementState {
  const attempts = attemptsSinceContact(h.events);
  const first = attempts[0];
  const reviewFrom = first ? addCalendarDays(first.at, CLOCK_RULES.nonEngagement.days) : null;
  return {
    attempts: attempts.length,
    firstAttemptAt: first ? first.at.toISOString() : null,
    reviewFrom: reviewFrom ? reviewFrom.toISOString() : null,
    due:
      !h.closedAt &&
      attempts.length >= CLOCK_RULES.nonEngagement.attempts &&
      reviewFrom !== null &&
      now.getTime() >= reviewFrom.getTime(),
  };
}

/**
 * The referral's clocks at `now`. First contact is stopped only by `contacted` (a `contact-attempted`
 * does not stop it; a hold does not pause it); the assessment clock by `assessment-completed` or an
 * assessment record.
 */
export function serviceClocks(h: ClockHistory, settings: ClockSettings, now: Date): ReferralClocks {
  const at = (type: string) => h.events.filter((e) => e.type === type).map((e) => e.at);
  return {
    mode: settings.serviceClock,
    receivedAt: h.receivedAt.toISOString(),
    contact: clockState(dueAt('contact', h.receivedAt, settings), at('contacted'), h.closedAt, now),
    assessment: clockState(
      dueAt('assessment', h.receivedAt, settings),
      [...at('assessment-completed'), ...h.assessmentsAt],
      h.closedAt,
      now,
    ),
    nonEngagement: nonEngagement(h, now),
  };
}
