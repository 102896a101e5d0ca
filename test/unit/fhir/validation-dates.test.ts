import { describe, expect, it } from 'vitest';
import { isCalendarValid } from '../../../src/fhir/validation-dates.js';

describe('isCalendarValid', () => {
  it.each([
    ['2024', true],
    ['2024-02', true],
    ['2024-13', false],
    ['2024-00-10', false],
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2000-02-29', true],
    ['2020-02-30', false],
    ['2024-04-31', false],
    ['2024-12-31T23:59:59.999Z', true],
    ['2024-12-31T24:00:00Z', false],
    ['2024-12-31T10:60:00Z', false],
    ['2024-12-31T10:00:60Z', false],
    ['2024-12-31T10:00:00+14:00', true],
    ['2024-12-31T10:00:00+15:00', false],
    ['2024-12-31T10:00:00-05:60', false],
  ])('%s → %s', (text, ok) => {
    expect(isCalendarValid(text)).toBe(ok);
  });

  it('leaves malformed text to the format check', () => {
    expect(isCalendarValid('31/12/2024')).toBe(true);
  });
});
