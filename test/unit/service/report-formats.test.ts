// The KPI report's other shapes, from a report value: CSV quoting (RFC 4180) and the MeasureReport's
// groups, populations and empty figures.
import { describe, expect, it } from 'vitest';
import { KPI_GROUPS, kpiCsv, kpiMeasureReport } from '../../../src/service/report-formats.js';
import type { KpiReport } from '../../../src/service/reports.js';

const clock = { target: '72 hours', met: 0, late: 0, missed: 0, running: 0, excluded: 0, percentMet: null };
const empty: KpiReport = {
  site: 'leeds-north',
  period: { from: '2026-01-01', to: '2026-01-31' },
  generatedAt: '2026-02-01T09:00:00.000Z',
  clock: 'calendar',
  received: { total: 0, byRoute: {} },
  triage: { atReceipt: {}, now: {}, rejectedByReason: {} },
  firstContact: clock,
  assessment: { ...clock, target: '14 days' },
  medianDays: {
    receivedToContact: null,
    contactToAssessment: null,
    assessmentToDischarge: null,
    receivedToDischarge: null,
  },
  discharges: { total: 0, byReason: {}, percentMutualAgreement: null, percentOfReceived: null },
  onwardReferrals: { total: 0, byServiceType: {}, distinctServices: 0 },
  needsIdentified: { byDomain: {} },
  outcomes: [],
  openCaseload: { open: 0, onHold: 0 },
  supportDuration: {
    targetWeeks: 6,
    days: 'calendar',
    discharged: 0,
    withinTarget: 0,
    overTarget: 0,
    percentWithinTarget: null,
    medianDays: null,
  },
};

describe('KPI report formats', () => {
  it('quotes CSV fields with commas, quotes or line breaks; null is an empty field', () => {
    const csv = kpiCsv({
      ...empty,
      outcomes: [
        { measure: 'other: Warwick, "short"', people: 2, meanFirst: 20, meanLast: 24, meanChange: 4 },
      ],
    });
    const lines = csv.split('\r\n');
    expect(lines).toContain('outcome-mean-change,"other: Warwick, ""short""",4');
    expect(lines).toContain('first-contact-percent-met,,');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('has every group of the Measure even when nothing is counted, without scores it cannot give', () => {
    const mr = kpiMeasureReport(empty, { name: 'Leeds North' });
    expect(mr.group?.map((g) => g.code?.coding?.[0]?.code)).toEqual([...KPI_GROUPS]);
    const contact = mr.group?.find((g) => g.code?.coding?.[0]?.code === 'first-contact-within-target');
    expect(contact?.measureScore).toBeUndefined();
    expect(contact?.population?.map((p) => [p.code?.coding?.[0]?.code, p.count])).toEqual([
      ['denominator', 0],
      ['numerator', 0],
      ['denominator-exclusion', 0],
    ]);
    expect(mr.reporter).toEqual({ display: 'Leeds North' });
  });
});
