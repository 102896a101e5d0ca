// The commissioners' KPI report of one site over a period (issue 10 §5): one use case, one door. A site
// sees only itself; the admin names the site. The figures come from PostgreSQL (src/store/kpi.ts); this
// module checks the request, derives percentages and rounds. Definitions: README "Reports".
import { badRequest, issue } from '../errors/index.js';
import { isCalendarDate } from '../records/dates.js';
import { type Counts, kpiRows } from '../store/kpi.js';
import { authorize } from './authorize.js';
import { enabledSite } from './submission.js';
import type { Caller, ServiceDeps } from './types.js';

export interface KpiRequest {
  site?: string;
  from: string;
  to: string;
}

/** Longest period one report covers: a commissioner's year, with room for a financial year's edges. */
export const MAX_REPORT_DAYS = 731;

export interface ClockFigures {
  /** The target in words ("72 hours", "3 working days"). */
  target: string;
  met: number;
  late: number;
  /** Not reached, and the due time has passed (open, held or closed otherwise). */
  missed: number;
  /** Not reached and not yet due at the report's instant: not counted in the percentage. */
  running: number;
  /** Rejected or withdrawn before reaching it: not counted. */
  excluded: number;
  /** met / (met + late + missed), one decimal; null when nothing is counted. */
  percentMet: number | null;
}

export interface KpiReport {
  site: string;
  period: { from: string; to: string };
  generatedAt: string;
  clock: 'calendar' | 'working-days';
  received: { total: number; byRoute: Counts };
  triage: {
    /** Triage at receipt: accept, hold (consent to confirm), reject. */
    atReceipt: Counts;
    /** Where the referrals are now: accepted, held, rejected, withdrawn. */
    now: Counts;
    rejectedByReason: Counts;
  };
  firstContact: ClockFigures;
  assessment: ClockFigures;
  /** Medians in days, one decimal; null when no referral has both ends. */
  medianDays: {
    receivedToContact: number | null;
    contactToAssessment: number | null;
    assessmentToDischarge: number | null;
    receivedToDischarge: number | null;
  };
  discharges: {
    total: number;
    byReason: Counts;
    percentMutualAgreement: number | null;
    percentOfReceived: number | null;
  };
  onwardReferrals: { total: number; byServiceType: Counts; distinctServices: number };
  needsIdentified: { byDomain: Counts };
  outcomes: { measure: string; people: number; meanFirst: number; meanLast: number; meanChange: number }[];
  /** Every referral of the site not closed at the report's instant (whatever its received date). */
  openCaseload: { open: number; onHold: number };
  supportDuration: {
    targetWeeks: number;
    days: 'calendar' | 'working-days';
    /** Discharged referrals with a first contact: support runs from first contact to discharge. */
    discharged: number;
    withinTarget: number;
    overTarget: number;
    percentWithinTarget: number | null;
    medianDays: number | null;
  };
}

const round = (v: number | null, places = 1): number | null =>
  v === null ? null : Math.round(v * 10 ** places) / 10 ** places;
const percent = (part: number, whole: number): number | null =>
  whole === 0 ? null : round((100 * part) / whole);

function checkRequest(q: KpiRequest): void {
  const problems: { path: string; text: string }[] = [];
  for (const k of ['from', 'to'] as const)
    if (!isCalendarDate(q[k])) problems.push({ path: `query.${k}`, text: 'must be a date YYYY-MM-DD' });
  if (!problems.length) {
    const days = (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000;
    if (days < 0) problems.push({ path: 'query.to', text: 'must not be before from' });
    else if (days >= MAX_REPORT_DAYS)
      problems.push({ path: 'query.to', text: `a report covers at most ${MAX_REPORT_DAYS} days` });
  }
  if (problems.length)
    throw badRequest(
      problems.map((p) =>
        issue({ diagnostics: `${p.path}: ${p.text}`, expression: p.path, errorCode: 'REC_BAD_REQUEST' }),
      ),
    );
}

export async function kpiReport(
  deps: Pick<ServiceDeps, 'db' | 'mappings' | 'now'>,
  caller: Caller,
  q: KpiRequest,
): Promise<KpiReport> {
  await authorize(deps, caller, { action: 'read-referrals', site: q.site });
  const siteId = caller.kind === 'site' ? caller.siteId : q.site;
  if (!siteId)
    throw badRequest('query.site: name the site the report is for', {
      code: 'required',
      expression: 'query.site',
    });
  checkRequest(q);
  const site = enabledSite(deps, siteId);
  const now = deps.now();
  const supportDays = site.supportTarget.days ?? site.serviceClock;
  const r = await kpiRows(deps.db, {
    site: site.id,
    from: q.from,
    to: q.to,
    now,
    clock: site.serviceClock,
    bankHolidays: site.bankHolidays,
    supportTarget: { weeks: site.supportTarget.weeks, days: supportDays },
  });
  const working = site.serviceClock === 'working-days';
  const clock = (c: typeof r.contact, target: string): ClockFigures => ({
    target,
    ...c,
    percentMet: percent(c.met, c.met + c.late + c.missed),
  });
  const discharged = Object.values(r.dischargesByReason).reduce((a, b) => a + b, 0);
  return {
    site: site.id,
    period: { from: q.from, to: q.to },
    generatedAt: now.toISOString(),
    clock: site.serviceClock,
    received: { total: r.received, byRoute: r.byRoute },
    triage: { atReceipt: r.triage, now: r.disposition, rejectedByReason: r.rejectedByReason },
    firstContact: clock(r.contact, working ? '3 working days' : '72 hours'),
    assessment: clock(r.assessment, working ? '10 working days' : '14 days'),
    medianDays: {
      receivedToContact: round(r.medians.receivedToContact),
      contactToAssessment: round(r.medians.contactToAssessment),
      assessmentToDischarge: round(r.medians.assessmentToDischarge),
      receivedToDischarge: round(r.medians.receivedToDischarge),
    },
    discharges: {
      total: discharged,
      byReason: r.dischargesByReason,
      percentMutualAgreement: percent(r.dischargesByReason['mutual-agreement'] ?? 0, discharged),
      percentOfReceived: percent(discharged, r.received),
    },
    onwardReferrals: {
      total: r.onwardTotal,
      byServiceType: r.onwardByType,
      distinctServices: r.distinctServices,
    },
    needsIdentified: { byDomain: r.needsByDomain },
    outcomes: r.outcomes.map((o) => ({
      measure: o.measure,
      people: o.people,
      meanFirst: round(o.meanFirst, 2) ?? 0,
      meanLast: round(o.meanLast, 2) ?? 0,
      meanChange: round(o.meanChange, 2) ?? 0,
    })),
    openCaseload: { open: r.openCaseload, onHold: r.onHoldNow },
    supportDuration: {
      targetWeeks: site.supportTarget.weeks,
      days: supportDays,
      discharged: r.support.discharged,
      withinTarget: r.support.withinTarget,
      overTarget: r.support.discharged - r.support.withinTarget,
      percentWithinTarget: percent(r.support.withinTarget, r.support.discharged),
      medianDays: round(r.support.medianDays),
    },
  };
}
