// Calendar dates as Europe/London sees them: "today" and the date of an instant are London's, so a
// same-day referral entered at 00:30 BST (23:30 UTC the day before) is not in the future.

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

function formatLondonDate(at: Date): string {
  const parts = Object.fromEntries(LONDON.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * Since 1972 London's offset from UTC is a whole number of hours (GMT or BST) and changes on a whole
 * UTC hour, so its midnights fall on whole UTC hours and one UTC hour has one London date: dates are
 * remembered by UTC hour (the last HOURS_KEPT), not formatted again for every date a record checks.
 */
const WHOLE_HOURS_SINCE_MS = Date.UTC(1972, 0, 1);
const HOUR_MS = 3_600_000;
const HOURS_KEPT = 512;
const dateByHour = new Map<number, string>();

/** London's calendar date (YYYY-MM-DD) at the given moment. */
export function londonDate(at: Date): string {
  const ms = at.getTime();
  if (!(ms >= WHOLE_HOURS_SINCE_MS)) return formatLondonDate(at); // earlier, or not a time (throws)
  const hour = Math.floor(ms / HOUR_MS);
  let date = dateByHour.get(hour);
  if (date === undefined) {
    date = formatLondonDate(at);
    if (dateByHour.size >= HOURS_KEPT) dateByHour.delete(dateByHour.keys().next().value as number);
    dateByHour.set(hour, date);
  }
  return date;
}

/** London's calendar date of an ISO instant with offset, or undefined when it does not parse. */
export function londonDateOfInstant(instant: string): string | undefined {
  const ms = Date.parse(instant);
  return Number.isNaN(ms) ? undefined : londonDate(new Date(ms));
}

const DATE_SHAPE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** A real calendar date YYYY-MM-DD (2021-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  const m = DATE_SHAPE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
