// The KPI report as a terminal table: one figure a line, label left, value right-aligned, breakdowns
// indented under their figure. Pure: the report in, text out.
import type { KpiReport } from '../service/reports.js';

const WIDTH = 46;
type Line = [label: string, value: string | number | null] | [heading: string];

const pct = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} %`);
const days = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} d`);

function breakdown(counts: Record<string, number>): Line[] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([k, n]) => [`  ${k}`, n]);
}

export function renderKpiTable(r: KpiReport): string {
  const c = r.firstContact;
  const a = r.assessment;
  const s = r.supportDuration;
  const lines: Line[] = [
    ['Referrals'],
    ['Received', r.received.total],
    ...breakdown(r.received.byRoute),
    ['Triage at receipt'],
    ...breakdown(r.triage.atReceipt),
    ['Where they are now'],
    ...breakdown(r.triage.now),
    ['Rejected by reason'],
    ...breakdown(r.triage.rejectedByReason),
    ['Service clocks'],
    [`First contact within ${c.target}`, pct(c.percentMet)],
    ['  met / late / missed', `${c.met} / ${c.late} / ${c.missed}`],
    ['  running / not counted', `${c.running} / ${c.excluded}`],
    [`Assessed within ${a.target}`, pct(a.percentMet)],
    ['  met / late / missed', `${a.met} / ${a.late} / ${a.missed}`],
    ['  running / not counted', `${a.running} / ${a.excluded}`],
    ['Median days'],
    ['  referral → first contact', days(r.medianDays.receivedToContact)],
    ['  first contact → assessment', days(r.medianDays.contactToAssessment)],
    ['  assessment → discharge', days(r.medianDays.assessmentToDischarge)],
    ['  referral → discharge', days(r.medianDays.receivedToDischarge)],
    ['Discharges'],
    ['Discharged', r.discharges.total],
    ...breakdown(r.discharges.byReason),
    ['  by mutual agreement', pct(r.discharges.percentMutualAgreement)],
    ['  of referrals received', pct(r.discharges.percentOfReceived)],
    ['Onward referrals'],
    ['Onward referrals', r.onwardReferrals.total],
    ...breakdown(r.onwardReferrals.byServiceType),
    ['  distinct services', r.onwardReferrals.distinctServices],
    ['Needs identified (people)'],
    ...breakdown(r.needsIdentified.byDomain),
    ['Outcome measures (first → last score)'],
    ...r.outcomes.map(
      (o): Line => [
        `  ${o.measure} (${o.people})`,
        `${o.meanFirst} → ${o.meanLast} (${o.meanChange > 0 ? '+' : ''}${o.meanChange})`,
      ],
    ),
    ['Caseload now'],
    ['Open', r.openCaseload.open],
    ['  on hold', r.openCaseload.onHold],
    [`Support against ${s.targetWeeks} weeks (${s.days})`],
    ['Discharged after first contact', s.discharged],
    ['  within target', `${s.withinTarget} (${pct(s.percentWithinTarget)})`],
    ['  over target', s.overTarget],
    ['  median length', days(s.medianDays)],
  ];
  const out = [
    `KPI report: ${r.site}, ${r.period.from} to ${r.period.to} (${r.clock} clock; as at ${r.generatedAt})`,
  ];
  for (const line of lines) {
    if (line.length === 1) {
      out.push('', line[0]);
      continue;
    }
    const value = line[1] === null ? '–' : String(line[1]);
    const label = line[0].length > WIDTH ? `${line[0].slice(0, WIDTH - 1)}…` : line[0];
    out.push(`  ${label.padEnd(WIDTH)} ${value.padStart(14)}`);
  }
  return `${out.join('\n')}\n`;
}
