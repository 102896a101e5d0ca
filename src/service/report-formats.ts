// The KPI report in its other shapes: a FHIR MeasureReport (summary) against the shipped Measure
// (profiles/input/fsh/reports.fsh: https://fhir.navbridge.org.uk/Measure/navbridge-kpi) and CSV (one
// figure per row). Pure: the report in, text or a resource out.
import type { MeasureReport, MeasureReportGroup, MeasureReportGroupStratifier, Quantity } from 'fhir/r4.js';
import type { Counts } from '../store/kpi.js';
import type { ClockFigures, KpiReport } from './reports.js';

export const KPI_MEASURE_URL = 'https://fhir.navbridge.org.uk/Measure/navbridge-kpi';
export const KPI_FIGURE_SYSTEM = 'https://fhir.navbridge.org.uk/CodeSystem/kpi-figure';
const POPULATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/measure-population';
const UCUM = 'http://unitsofmeasure.org';

/** The Measure's group codes, in its order (the test checks the shipped Measure has exactly these). */
export const KPI_GROUPS = [
  'referrals-received',
  'triage-at-receipt',
  'referral-disposition',
  'rejections',
  'first-contact-within-target',
  'assessment-within-target',
  'median-days-referral-to-contact',
  'median-days-contact-to-assessment',
  'median-days-assessment-to-discharge',
  'median-days-referral-to-discharge',
  'discharges',
  'discharged-mutual-agreement',
  'onward-referrals',
  'distinct-onward-services',
  'needs-identified',
  'outcome-change',
  'open-caseload',
  'support-within-target',
] as const;
type KpiGroup = (typeof KPI_GROUPS)[number];

const concept = (system: string, code: string) => ({ coding: [{ system, code }] });
const population = (code: string, count: number) => ({ code: concept(POPULATION_SYSTEM, code), count });
const percentScore = (v: number | null): Quantity | undefined =>
  v === null ? undefined : { value: v, unit: '%', system: UCUM, code: '%' };
const daysScore = (v: number | null): Quantity | undefined =>
  v === null ? undefined : { value: v, unit: 'days', system: UCUM, code: 'd' };

function group(
  code: KpiGroup,
  parts: Omit<MeasureReportGroup, 'code'> & { measureScore?: Quantity | undefined },
): MeasureReportGroup {
  const { measureScore, ...rest } = parts;
  return { code: concept(KPI_FIGURE_SYSTEM, code), ...rest, ...(measureScore ? { measureScore } : {}) };
}

/** Counts per code as a stratifier (strata sorted by code, so the resource is stable). */
function stratifier(by: string, counts: Counts): MeasureReportGroupStratifier[] {
  const keys = Object.keys(counts).sort();
  if (!keys.length) return [];
  return [
    {
      code: [{ text: by }],
      stratum: keys.map((k) => ({
        value: { text: k },
        population: [population('initial-population', counts[k]!)],
      })),
    },
  ];
}

const sum = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);

function clockGroup(code: KpiGroup, c: ClockFigures): MeasureReportGroup {
  return group(code, {
    population: [
      population('denominator', c.met + c.late + c.missed),
      population('numerator', c.met),
      population('denominator-exclusion', c.excluded + c.running),
    ],
    measureScore: percentScore(c.percentMet),
  });
}

export function kpiMeasureReport(r: KpiReport, site: { name: string; odsCode?: string }): MeasureReport {
  const count = (code: KpiGroup, n: number, strata: MeasureReportGroupStratifier[] = []) =>
    group(code, {
      population: [population('initial-population', n)],
      ...(strata.length ? { stratifier: strata } : {}),
    });
  const groups: MeasureReportGroup[] = [
    count('referrals-received', r.received.total, stratifier('route', r.received.byRoute)),
    count('triage-at-receipt', sum(r.triage.atReceipt), stratifier('triage-outcome', r.triage.atReceipt)),
    count('referral-disposition', sum(r.triage.now), stratifier('disposition', r.triage.now)),
    count(
      'rejections',
      sum(r.triage.rejectedByReason),
      stratifier('rejection-reason', r.triage.rejectedByReason),
    ),
    clockGroup('first-contact-within-target', r.firstContact),
    clockGroup('assessment-within-target', r.assessment),
    group('median-days-referral-to-contact', { measureScore: daysScore(r.medianDays.receivedToContact) }),
    group('median-days-contact-to-assessment', { measureScore: daysScore(r.medianDays.contactToAssessment) }),
    group('median-days-assessment-to-discharge', {
      measureScore: daysScore(r.medianDays.assessmentToDischarge),
    }),
    group('median-days-referral-to-discharge', { measureScore: daysScore(r.medianDays.receivedToDischarge) }),
    count('discharges', r.discharges.total, stratifier('discharge-reason', r.discharges.byReason)),
    group('discharged-mutual-agreement', {
      population: [
        population('denominator', r.discharges.total),
        population('numerator', r.discharges.byReason['mutual-agreement'] ?? 0),
      ],
      measureScore: percentScore(r.discharges.percentMutualAgreement),
    }),
    count(
      'onward-referrals',
      r.onwardReferrals.total,
      stratifier('service-type', r.onwardReferrals.byServiceType),
    ),
    group('distinct-onward-services', {
      measureScore: { value: r.onwardReferrals.distinctServices, unit: 'services', system: UCUM, code: '1' },
    }),
    group('needs-identified', { stratifier: stratifier('need-domain', r.needsIdentified.byDomain) }),
    group('outcome-change', {
      ...(r.outcomes.length
        ? {
            stratifier: [
              {
                code: [{ text: 'outcome-measure' }],
                stratum: r.outcomes.map((o) => ({
                  value: { text: o.measure },
                  population: [population('measure-population', o.people)],
                  measureScore: { value: o.meanChange, unit: 'score', system: UCUM, code: '1' },
                })),
              },
            ],
          }
        : {}),
    }),
    count('open-caseload', r.openCaseload.open),
    group('support-within-target', {
      population: [
        population('denominator', r.supportDuration.discharged),
        population('numerator', r.supportDuration.withinTarget),
      ],
      measureScore: percentScore(r.supportDuration.percentWithinTarget),
    }),
  ];
  return {
    resourceType: 'MeasureReport',
    status: 'complete',
    type: 'summary',
    measure: KPI_MEASURE_URL,
    date: r.generatedAt,
    reporter: {
      display: site.name,
      ...(site.odsCode
        ? { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: site.odsCode } }
        : {}),
    },
    // The period as London dates (a FHIR date carries no zone, as the report's dates do not).
    period: { start: r.period.from, end: r.period.to },
    group: groups,
  };
}

const CSV_HEADER = ['figure', 'breakdown', 'value'];

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
const csvField = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per figure (and per breakdown of a figure), in the report's order. */
export function kpiCsv(r: KpiReport): string {
  const rows: (string | number | null)[][] = [
    ['site', '', r.site],
    ['period-from', '', r.period.from],
    ['period-to', '', r.period.to],
    ['generated-at', '', r.generatedAt],
    ['clock', '', r.clock],
  ];
  const counts = (figure: string, c: Counts) => {
    for (const k of Object.keys(c).sort()) rows.push([figure, k, c[k]!]);
  };
  rows.push(['referrals-received', '', r.received.total]);
  counts('referrals-received', r.received.byRoute);
  counts('triage-at-receipt', r.triage.atReceipt);
  counts('referral-disposition', r.triage.now);
  counts('rejections', r.triage.rejectedByReason);
  for (const [figure, c] of [
    ['first-contact', r.firstContact],
    ['assessment', r.assessment],
  ] as const) {
    rows.push([`${figure}-target`, '', c.target]);
    for (const k of ['met', 'late', 'missed', 'running', 'excluded'] as const) rows.push([figure, k, c[k]]);
    rows.push([`${figure}-percent-met`, '', c.percentMet]);
  }
  for (const [k, v] of Object.entries(r.medianDays)) rows.push(['median-days', k, v]);
  rows.push(['discharges', '', r.discharges.total]);
  counts('discharges', r.discharges.byReason);
  rows.push(['discharges-percent-mutual-agreement', '', r.discharges.percentMutualAgreement]);
  rows.push(['discharges-percent-of-received', '', r.discharges.percentOfReceived]);
  rows.push(['onward-referrals', '', r.onwardReferrals.total]);
  counts('onward-referrals', r.onwardReferrals.byServiceType);
  rows.push(['distinct-onward-services', '', r.onwardReferrals.distinctServices]);
  counts('needs-identified', r.needsIdentified.byDomain);
  for (const o of r.outcomes) {
    rows.push(['outcome-people', o.measure, o.people]);
    rows.push(['outcome-mean-first', o.measure, o.meanFirst]);
    rows.push(['outcome-mean-last', o.measure, o.meanLast]);
    rows.push(['outcome-mean-change', o.measure, o.meanChange]);
  }
  rows.push(['open-caseload', '', r.openCaseload.open]);
  rows.push(['open-caseload', 'on-hold', r.openCaseload.onHold]);
  const s = r.supportDuration;
  rows.push(['support-target', '', `${s.targetWeeks} weeks (${s.days})`]);
  rows.push(['support-discharged', '', s.discharged]);
  rows.push(['support-within-target', '', s.withinTarget]);
  rows.push(['support-over-target', '', s.overTarget]);
  rows.push(['support-percent-within-target', '', s.percentWithinTarget]);
  rows.push(['support-median-days', '', s.medianDays]);
  return `${[CSV_HEADER, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
