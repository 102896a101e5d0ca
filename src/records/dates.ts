// Calendar dates as Europe/London sees them: "today" and the date of an instant are London's, so a
// same-day referral entered at 00:30 BST (23:30 UTC the day before) is not in the future.

const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** London's calendar date (YYYY-MM-DD) at the given moment. */
export function londonDate(at: Date): string {
  const parts = Object.fromEntries(LONDON.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
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
