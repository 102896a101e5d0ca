import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, dayOfWeek, fromLondon, toLondon } from '../../../src/clock/index.js';

const H = 3_600_000;

describe('London wall-clock time', () => {
  it('reads GMT in winter and BST in summer', () => {
    expect(toLondon(new Date('2025-01-15T09:30:00Z'))).toEqual({ date: '2025-01-15', msOfDay: 9.5 * H });
    expect(toLondon(new Date('2025-07-15T09:30:00Z'))).toEqual({ date: '2025-07-15', msOfDay: 10.5 * H });
    // 23:30 UTC on a summer evening is already the next day in London.
    expect(toLondon(new Date('2025-07-15T23:30:00Z')).date).toBe('2025-07-16');
  });

  it('converts a wall-clock reading back to the instant, on both sides of each change', () => {
    expect(fromLondon({ date: '2025-03-29', msOfDay: 12 * H }).toISOString()).toBe(
      '2025-03-29T12:00:00.000Z',
    );
    expect(fromLondon({ date: '2025-03-31', msOfDay: 12 * H }).toISOString()).toBe(
      '2025-03-31T11:00:00.000Z',
    );
    expect(fromLondon({ date: '2025-10-25', msOfDay: 12 * H }).toISOString()).toBe(
      '2025-10-25T11:00:00.000Z',
    );
    expect(fromLondon({ date: '2025-10-27', msOfDay: 12 * H }).toISOString()).toBe(
      '2025-10-27T12:00:00.000Z',
    );
  });

  it('resolves the skipped spring hour forward and the repeated autumn hour to its first occurrence', () => {
    // 01:30 on 30 March 2025 never happens in London: 01:30 GMT reads 02:30 BST.
    expect(fromLondon({ date: '2025-03-30', msOfDay: 1.5 * H }).toISOString()).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    // 01:30 on 26 October 2025 happens twice: first in BST (00:30 UTC).
    expect(fromLondon({ date: '2025-10-26', msOfDay: 1.5 * H }).toISOString()).toBe(
      '2025-10-26T00:30:00.000Z',
    );
  });

  it('round-trips any instant (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (t) => {
        const local = toLondon(new Date(t));
        const back = fromLondon(local);
        // Only the repeated autumn hour is ambiguous; it maps to a reading of the same wall clock.
        expect(toLondon(back)).toEqual(local);
        expect(Math.abs(back.getTime() - t) === 0 || Math.abs(back.getTime() - t) === H).toBe(true);
      }),
    );
  });

  it('does date arithmetic across month, year and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(dayOfWeek('2025-06-14')).toBe(6);
    expect(dayOfWeek('2025-06-15')).toBe(0);
  });
});
