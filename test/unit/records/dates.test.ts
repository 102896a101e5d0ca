import { describe, expect, it } from 'vitest';
import { isCalendarDate, londonDate, londonDateOfInstant } from '../../../src/records/dates.js';

describe('London dates', () => {
  it('gives the London date at 00:30 BST, which is the previous day in UTC', () => {
    expect(londonDate(new Date('2026-05-01T23:30:00Z'))).toBe('2026-05-02');
  });

  it('equals the UTC date in winter (GMT)', () => {
    expect(londonDate(new Date('2026-01-10T23:59:59Z'))).toBe('2026-01-10');
    expect(londonDate(new Date('2026-01-11T00:00:00Z'))).toBe('2026-01-11');
  });

  it('follows the clock change (last Sunday of March 2026 at 01:00 UTC)', () => {
    expect(londonDate(new Date('2026-03-28T23:30:00Z'))).toBe('2026-03-28'); // still GMT
    expect(londonDate(new Date('2026-03-29T23:30:00Z'))).toBe('2026-03-30'); // BST
  });

  it('gives the date Intl gives for every quarter hour across both 2026 clock changes and the years', () => {
    const direct = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' });
    const starts = [
      '2026-03-27T00:00:00Z',
      '2026-10-23T00:00:00Z',
      '1972-01-01T00:00:00Z',
      '2099-12-30T00:00:00Z',
    ];
    for (const start of starts) {
      for (let m = 0; m < 4 * 24 * 4; m++) {
        // Off the quarter hour too, so a date remembered for an hour is read at other minutes of it.
        const at = new Date(Date.parse(start) + m * 15 * 60_000 + (m % 7) * 61_000);
        expect(londonDate(at), at.toISOString()).toBe(direct.format(at));
      }
    }
  });

  it('gives dates before 1972 (London offsets not whole hours) and refuses an invalid date as before', () => {
    // 1847: Local Mean Time, 1 min 15 s behind GMT: 00:00:30 UTC is still the day before.
    expect(londonDate(new Date('1847-06-01T00:00:30Z'))).toBe('1847-05-31');
    expect(() => londonDate(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('reads an instant in its own offset', () => {
    expect(londonDateOfInstant('2026-05-02T00:30:00+01:00')).toBe('2026-05-02');
    expect(londonDateOfInstant('2026-05-01T20:00:00-05:00')).toBe('2026-05-02');
    expect(londonDateOfInstant('not a time')).toBeUndefined();
  });

  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2021-02-30', false],
    ['2021-04-31', false],
    ['2021-13-01', false],
    ['2021-1-01', false],
  ])('isCalendarDate(%s) = %s', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });
});
