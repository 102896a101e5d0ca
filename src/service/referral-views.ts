// JSON views of referrals for the navigator API: state, triage outcome, service clocks and flags.
import { type ClockSettings, type ReferralClocks, serviceClocks } from '../clock/index.js';
import type { ReferralHistory } from '../store/referral-queries.js';
import type { ReferralRow } from '../store/referrals.js';

export interface ReferralSummary {
  id: string;
  site: string;
  status: ReferralRow['status'];
  taskStatus: string;
  businessStatus: string;
  onHold: boolean;
  hasPlan: boolean;
  triage: unknown;
  sourcePartnerId: string | null;
  receivedAt: string;
  updatedAt: string;
  clocks: ReferralClocks;
  flags: string[];
}

/** Clocks run from the referral record's receivedAt (when the service received it), else the row's. */
export function clocksOf(
  row: ReferralRow,
  h: ReferralHistory,
  settings: ClockSettings,
  now: Date,
): ReferralClocks {
  const received = h.recordReceivedAt ? new Date(h.recordReceivedAt) : row.receivedAt;
  return serviceClocks(
    {
      receivedAt: Number.isNaN(received.getTime()) ? row.receivedAt : received,
      events: h.events
        .map((e) => ({ type: e.type, at: new Date(e.at) }))
        .filter((e) => !Number.isNaN(e.at.getTime())),
      assessmentsAt: h.assessmentsAt.map((a) => new Date(a)).filter((d) => !Number.isNaN(d.getTime())),
      closedAt: row.status === 'closed' ? row.updatedAt : null,
    },
    settings,
    now,
  );
}

export function summaryOf(row: ReferralRow, clocks: ReferralClocks): ReferralSummary {
  const flags: string[] = [];
  if (row.onHold) flags.push('on-hold');
  if (clocks.contact.status === 'overdue') flags.push('contact-overdue');
  if (clocks.assessment.status === 'overdue') flags.push('assessment-overdue');
  if (clocks.nonEngagement.due) flags.push('non-engagement-review');
  return {
    id: row.referralId,
    site: row.site,
    status: row.status,
    taskStatus: row.taskStatus,
    businessStatus: row.businessStatus,
    onHold: row.onHold,
    hasPlan: row.hasPlan,
    triage: row.triage ?? null,
    sourcePartnerId: row.sourcePartnerId,
    receivedAt: clocks.receivedAt,
    updatedAt: row.updatedAt.toISOString(),
    clocks,
    flags,
  };
}

/** Flags only the full record shows: risks the referrer reported, and open referrals linked to this one. */
export function recordFlags(record: unknown, linked: readonly ReferralRow[]): string[] {
  const flags: string[] = [];
  const risks = (record as { risks?: Record<string, unknown> } | undefined)?.risks;
  if (risks?.inCrisis === true) flags.push('in-crisis');
  if (risks?.toSelf === true) flags.push('risk-to-self');
  if (risks?.toOthers === true) flags.push('risk-to-others');
  if (linked.some((l) => l.status !== 'closed')) flags.push('linked-open-referral');
  return flags;
}
