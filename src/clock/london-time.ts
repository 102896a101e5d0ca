// Europe/London wall-clock arithmetic without a time-zone library: instants ↔ local date and time,
// through Intl (pure: no clock is read; every instant is passed in).

const TZ = 'Europe/London';
const fmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A London wall-clock reading: date as YYYY-MM-DD plus milliseconds since local midnight. */
export interface LocalTime {
  date: string;
  msOfDay: number;
}

export function toLondon(instant: Date): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(instant)) parts[p.type] = p.value;
  const ms = instant.getTime() % 1000;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    msOfDay:
      ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 +
      (ms < 0 ? ms + 1000 : ms),
  };
}

/** Offset of London from UTC at an instant, in milliseconds (0 in winter, 3 600 000 in summer). */
function offsetAt(instant: number): number {
  const l = toLondon(new Date(instant));
  const [y, m, d] = l.date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) + l.msOfDay - instant;
}

/**
 * The instant at which London's clocks read `local`. A reading skipped by the spring change (01:00–02:00
 * on the last Sunday of March) resolves to the instant one hour later on the clock; a reading that
 * occurs twice in autumn resolves to the first (summer time) occurrence.
 */
export function fromLondon(local: LocalTime): Date {
  const [y, m, d] = local.date.split('-').map(Number) as [number, number, number];
  const asUtc = Date.UTC(y, m - 1, d) + local.msOfDay;
  // Try both candidate offsets; prefer one that round-trips, the earlier if both do.
  const candidates = [...new Set([offsetAt(asUtc - 3_600_000), offsetAt(asUtc + 3_600_000)])]
    .map((o) => asUtc - o)
    .sort((a, b) => a - b);
  for (const c of candidates) {
    const back = toLondon(new Date(c));
    if (back.date === local.date && back.msOfDay === local.msOfDay) return new Date(c);
  }
  // In the spring gap: the reading does not exist; the standard-time interpretation lands an hour on.
  return new Date(asUtc - offsetAt(asUtc - 3_600_000));
}

/** Adds whole days to a YYYY-MM-DD date (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday, for a YYYY-MM-DD date. */
export function dayOfWeek(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}
