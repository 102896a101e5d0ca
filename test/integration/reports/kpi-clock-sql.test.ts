// The KPI statement's London arithmetic (src/store/kpi.ts) agrees with src/clock on random instants:
// calendar days at the same London wall-clock time, working days with weekends and bank holidays,
// with instants drawn around the clock changes as well as across three years.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCalendarDays, addWorkingDays } from '../../../src/clock/index.js';
import { dueInstantsSql } from '../../../src/store/kpi.js';
import { createTestDb, type TestDb } from '../../support/db.js';

const HOLIDAYS = [
  '2025-12-25',
  '2025-12-26',
  '2026-01-01',
  '2026-04-03',
  '2026-04-06',
  '2026-05-04',
  '2026-05-25',
  '2026-08-31',
  '2026-10-26',
  '2026-12-25',
  '2026-12-28',
  '2027-01-01',
  '2027-03-26',
  '2027-03-29',
];

const t = (iso: string) => new Date(iso).getTime();
const instant = fc
  .oneof(
    fc.integer({ min: t('2025-06-01T00:00:00Z'), max: t('2027-06-01T00:00:00Z') }),
    // The hours around the spring and autumn changes of 2026.
    fc.integer({ min: t('2026-03-28T22:00:00Z'), max: t('2026-03-29T04:00:00Z') }),
    fc.integer({ min: t('2026-10-24T22:00:00Z'), max: t('2026-10-25T04:00:00Z') }),
    // Starts whose 14 calendar days later land on a change.
    fc.integer({ min: t('2026-03-14T22:00:00Z'), max: t('2026-03-15T04:00:00Z') }),
  )
  .map((ms) => new Date(Math.floor(ms / 1000) * 1000));

describe('KPI SQL clock arithmetic', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  }, 60_000);
  afterAll(async () => db?.close());

  it('working days: the same instants as addWorkingDays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(instant, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 40 }),
        fc.subarray(HOLIDAYS),
        async (starts, days, holidays) => {
          const sql = await dueInstantsSql(db.db, {
            starts,
            days,
            mode: 'working-days',
            bankHolidays: holidays,
          });
          expect(sql.map((d) => d.toISOString())).toEqual(
            starts.map((s) => addWorkingDays(s, days, holidays).toISOString()),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('resolves the autumn hour that occurs twice to its first (summer time) occurrence, as src/clock does', async () => {
    // 01:30 BST on 11 October + 14 days: 01:30 on 25 October happens at 00:30 and at 01:30 UTC.
    const [due] = await dueInstantsSql(db.db, {
      starts: [new Date('2026-10-11T00:30:00Z')],
      days: 14,
      mode: 'calendar',
      bankHolidays: [],
    });
    expect(due?.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(addCalendarDays(new Date('2026-10-11T00:30:00Z'), 14).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('calendar days: the same instants as addCalendarDays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(instant, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 60 }),
        async (starts, days) => {
          const sql = await dueInstantsSql(db.db, { starts, days, mode: 'calendar', bankHolidays: [] });
          expect(sql.map((d) => d.toISOString())).toEqual(
            starts.map((s) => addCalendarDays(s, days).toISOString()),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
