// The watchdog (issue 10 §4): one run looks at everything it watches — service clocks about to breach
// or breached, exchanges undelivered beyond their partner's threshold, circuits open too long, dead
// letters, open referrals without navigator activity, messages whose response has not come — and
// reconciles the alerts table (each condition raised once, cleared when it no longer holds). The
// caller (the worker's job scheduler) sends the notifications for what changed.
import type { AlertsConfig } from '../settings/app-config.js';
import {
  type AlertCondition,
  type AlertTransition,
  type AlertView,
  deadLetterConditions,
  inactiveReferrals,
  listAlerts,
  openCircuitConditions,
  reconcileAlerts,
  unacknowledgedMessages,
  undeliveredExchanges,
} from '../store/alerts.js';
import { historyOf, listReferralRows, referralHistories } from '../store/referral-queries.js';
import { authorize } from './authorize.js';
import { clocksOf } from './referral-views.js';
import type { Caller, ServiceDeps } from './types.js';

export type { AlertTransition, AlertView } from '../store/alerts.js';

type Deps = Pick<ServiceDeps, 'db' | 'mappings' | 'partners' | 'now'>;

/** Referrals whose first-contact or assessment clock is due within `dueSoonHours`, or past due. */
async function clockConditions(deps: Deps, settings: AlertsConfig, now: Date): Promise<AlertCondition[]> {
  const out: AlertCondition[] = [];
  const soonMs = settings.dueSoonHours * 3_600_000;
  for (const status of ['new', 'open'] as const) {
    const rows = await listReferralRows(deps.db, { status, limit: 100_000 });
    const histories = await referralHistories(deps.db, rows);
    for (const row of rows) {
      const site = deps.mappings.tryGetSite(row.site);
      if (!site) continue;
      const clocks = clocksOf(row, historyOf(histories, row), site, now);
      for (const clock of ['contact', 'assessment'] as const) {
        const c = clocks[clock];
        const dueIn = Date.parse(c.dueAt) - now.getTime();
        const kind =
          c.status === 'overdue'
            ? `${clock}-overdue`
            : c.status === 'running' && dueIn <= soonMs
              ? `${clock}-due-soon`
              : undefined;
        if (kind)
          out.push({
            kind,
            key: `${row.site}|${row.referralId}`,
            site: row.site,
            referralId: row.referralId,
            detail: { dueAt: c.dueAt, mode: clocks.mode },
          });
      }
    }
  }
  return out;
}

/** Every condition that holds at `now`. */
export async function watchdogConditions(deps: Deps, settings: AlertsConfig, now: Date) {
  const perPartner: Record<string, number> = {};
  for (const p of deps.partners)
    if (p.alerts?.undeliveredAfterMinutes) perPartner[p.id] = p.alerts.undeliveredAfterMinutes;
  const groups = await Promise.all([
    clockConditions(deps, settings, now),
    undeliveredExchanges(deps.db, now, settings.undeliveredAfterMinutes, perPartner),
    openCircuitConditions(deps.db, now, settings.circuitOpenMinutes),
    deadLetterConditions(deps.db),
    inactiveReferrals(deps.db, now, settings.inactiveDays),
    unacknowledgedMessages(deps.db, now, settings.acknowledgementMinutes),
  ]);
  return groups.flat();
}

export interface WatchdogRun {
  at: string;
  /** False when another runner held the lock (this run changed nothing). */
  ran: boolean;
  conditions: number;
  transitions: AlertTransition[];
}

/** One watchdog run: conditions now, reconciled with the alerts table. */
export async function runWatchdog(deps: Deps, settings: AlertsConfig): Promise<WatchdogRun> {
  const now = deps.now();
  const conditions = await watchdogConditions(deps, settings, now);
  const transitions = await reconcileAlerts(deps.db, conditions, now);
  return {
    at: now.toISOString(),
    ran: transitions !== null,
    conditions: conditions.length,
    transitions: transitions ?? [],
  };
}

/** The alerts for the admin (`GET /admin/alerts`, `navbridge alerts list`). */
export async function listAlertsFor(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  filter: { state?: 'open' | 'all'; kind?: string; limit?: number },
): Promise<AlertView[]> {
  await authorize(deps, caller, { action: 'administer' });
  return listAlerts(deps.db, filter);
}
