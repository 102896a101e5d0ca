// The navigator's reads: referrals in the caller's scope (a site sees its own; the admin every site),
// with service clocks and flags, one referral in detail, and an exchange's delivery state. Anything
// outside the scope is answered 404, exactly as if it did not exist.
import { badRequest, notFound } from '../errors/index.js';
import { audit } from '../store/audit.js';
import {
  type AttemptView,
  type ExchangeView,
  exchangeWithAttempts,
  findReferralsById,
  historyOf,
  latestReferralRecord,
  linkedReferrals,
  listReferralRows,
  type ReferralScope,
  referralExchanges,
  referralHistories,
} from '../store/referral-queries.js';
import type { ReferralStatus } from '../store/referrals.js';
import { authorize } from './authorize.js';
import { clocksOf, type ReferralSummary, recordFlags, summaryOf } from './referral-views.js';
import { enabledSite } from './submit.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type { ReferralSummary } from './referral-views.js';

export interface ReferralQuery {
  status?: ReferralStatus;
  overdue?: 'contact' | 'assessment';
  due?: 'non-engagement';
  site?: string;
  limit?: number;
}

/** The tenant's scope: a site its own (naming another site is refused, not silently narrowed). */
async function scopeOf(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  site: string | undefined,
): Promise<ReferralScope> {
  await authorize(deps, caller, { action: 'read-referrals', site });
  if (caller.kind === 'site') return { site: caller.siteId };
  return site ? { site } : {};
}

type Deps = Pick<ServiceDeps, 'db' | 'mappings' | 'now'>;

export async function listReferrals(
  deps: Deps,
  caller: Caller,
  q: ReferralQuery,
): Promise<{ now: string; referrals: ReferralSummary[] }> {
  const scope = await scopeOf(deps, caller, q.site);
  const rows = await listReferralRows(deps.db, {
    ...scope,
    ...(q.status ? { status: q.status } : {}),
    ...(q.limit && !q.overdue && !q.due ? { limit: q.limit } : {}),
  });
  const histories = await referralHistories(deps.db, rows);
  const now = deps.now();
  let out = rows.map((row) =>
    summaryOf(row, clocksOf(row, historyOf(histories, row), enabledSite(deps, row.site), now)),
  );
  if (q.overdue) {
    const clock = q.overdue;
    out = out.filter((s) => s.clocks[clock].status === 'overdue');
  }
  if (q.due) out = out.filter((s) => s.clocks.nonEngagement.due);
  if (q.limit) out = out.slice(0, q.limit);
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'list-referrals',
    targetType: 'referral',
    targetId: null,
    detail: { ...scope, count: out.length, ids: out.slice(0, 100).map((r) => r.id) },
  });
  return { now: now.toISOString(), referrals: out };
}

export async function showReferral(deps: Deps, caller: Caller, id: string, site?: string) {
  const matches = await findReferralsById(deps.db, id, await scopeOf(deps, caller, site));
  if (!matches.length) {
    // Another tenant's referral: refused (audited as denied) and answered as if it did not exist.
    if (caller.kind === 'site')
      for (const other of await findReferralsById(deps.db, id, {}))
        await authorize(deps, caller, {
          action: 'read-site-data',
          site: other.site,
          what: 'referral',
          id: `${other.site}/${other.referralId}`,
        });
    await audit(deps.db, {
      ...whoOf(caller),
      action: 'read',
      targetType: 'referral',
      targetId: id,
      outcome: 'failure',
      detail: { answer: 'not-found' },
    });
    throw notFound('referral');
  }
  if (matches.length > 1)
    throw badRequest('query.site: this referral id exists at more than one site; name the site', {
      code: 'multiple-matches',
      expression: 'query.site',
    });
  const row = matches[0]!;
  const [histories, record, linked, exchanges] = await Promise.all([
    referralHistories(deps.db, [row]),
    latestReferralRecord(deps.db, row),
    linkedReferrals(deps.db, row),
    referralExchanges(deps.db, row.site, row.referralId),
  ]);
  const summary = summaryOf(
    row,
    clocksOf(row, historyOf(histories, row), enabledSite(deps, row.site), deps.now()),
  );
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'read',
    targetType: 'referral',
    targetId: `${row.site}/${row.referralId}`,
    detail: { record: record ? record.version : null },
  });
  return {
    ...summary,
    flags: [...summary.flags, ...recordFlags(record?.payload, linked)],
    record: record
      ? { version: record.version, receivedAt: record.receivedAt, payload: record.payload }
      : null,
    linked: linked.map((l) => ({ id: l.referralId, status: l.status, receivedAt: l.receivedAt })),
    exchanges,
  };
}

/** An exchange's delivery state and attempts (never its payload): a site sees only its own. */
export async function showExchangeState(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  id: string,
): Promise<ExchangeView & { attempts: AttemptView[] }> {
  const found = await exchangeWithAttempts(deps.db, id);
  if (!found) throw notFound('exchange');
  await authorize(
    deps,
    caller,
    { action: 'read-site-data', site: found.exchange.site, what: 'exchange', id },
    'exchange',
  );
  await audit(deps.db, { ...whoOf(caller), action: 'read', targetType: 'exchange', targetId: id });
  return { ...found.exchange, attempts: found.attempts };
}
