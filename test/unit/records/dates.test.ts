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
