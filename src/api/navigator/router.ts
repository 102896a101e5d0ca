// Navigator API (/api/v1, JSON): referrals (list with status/overdue/non-engagement filters, detail),
// record submission through NavigatorService, exchange delivery state. A site sees only its own
// referrals and exchanges; anything else is answered 404. The admin sees every site.
import { Router } from 'express';
import { z } from 'zod';
import { issue, NavbridgeError } from '../../errors/index.js';
import type { NavigatorService } from '../../service/submit.js';
import type { Db } from '../../store/db.js';
import {
  exchangeWithAttempts,
  findReferralsById,
  historyOf,
  latestReferralRecord,
  linkedReferrals,
  listReferralRows,
  type ReferralScope,
  referralExchanges,
  referralHistories,
} from '../../store/referral-queries.js';
import { forbidden, type Principal, principalOf } from '../auth.js';
import { parseOrThrow } from '../validate-input.js';
import { clocksOf, recordFlags, summaryOf } from './views.js';

export interface NavigatorDeps {
  db: Db;
  service: Pick<NavigatorService, 'site' | 'submit'>;
  now(): Date;
}

const siteId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
const listQuery = z
  .object({
    status: z.enum(['new', 'open', 'closed']).optional(),
    overdue: z.enum(['contact', 'assessment']).optional(),
    due: z.literal('non-engagement').optional(),
    site: siteId.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
const showQuery = z.object({ site: siteId.optional() }).strict();
const recordBody = z
  .object({
    recordType: z.enum(['referral', 'assessment', 'support-plan', 'event']),
    record: z.record(z.string(), z.unknown()),
  })
  .strict();
const refId = z.string().min(1).max(64);

const notFound = (what: string) =>
  new NavbridgeError('REC_NOT_FOUND', [
    issue({ code: 'not-found', diagnostics: `no such ${what}`, errorCode: 'REC_NOT_FOUND' }),
  ]);

/** The tenant's scope. A site naming another site is refused rather than silently narrowed. */
function scopeOf(p: Principal, site: string | undefined): ReferralScope {
  if (p.kind === 'site') {
    if (site !== undefined && site !== p.siteId) throw forbidden('a site sees only its own referrals');
    return { site: p.siteId };
  }
  if (p.kind === 'partner') return { sourcePartnerId: p.partnerId };
  return site ? { site } : {};
}

export function navigatorRouter(deps: NavigatorDeps): Router {
  const r = Router();

  r.get('/referrals', async (req, res) => {
    const q = parseOrThrow(listQuery, req.query, 'query');
    const scope = scopeOf(principalOf(res), q.site);
    const rows = await listReferralRows(deps.db, {
      ...scope,
      ...(q.status ? { status: q.status } : {}),
      ...(q.limit && !q.overdue && !q.due ? { limit: q.limit } : {}),
    });
    const histories = await referralHistories(deps.db, rows);
    const now = deps.now();
    let out = rows.map((row) =>
      summaryOf(row, clocksOf(row, historyOf(histories, row), deps.service.site(row.site), now)),
    );
    if (q.overdue) out = out.filter((s) => s.clocks[q.overdue!].status === 'overdue');
    if (q.due) out = out.filter((s) => s.clocks.nonEngagement.due);
    if (q.limit) out = out.slice(0, q.limit);
    res.json({ now: now.toISOString(), referrals: out });
  });

  r.get('/referrals/:id', async (req, res) => {
    const id = parseOrThrow(refId, req.params.id, 'id');
    const q = parseOrThrow(showQuery, req.query, 'query');
    const matches = await findReferralsById(deps.db, id, scopeOf(principalOf(res), q.site));
    if (!matches.length) throw notFound('referral');
    if (matches.length > 1)
      throw new NavbridgeError('REC_BAD_REQUEST', [
        issue({
          code: 'multiple-matches',
          diagnostics: 'query.site: this referral id exists at more than one site; name the site',
          expression: 'query.site',
          errorCode: 'REC_BAD_REQUEST',
        }),
      ]);
    const row = matches[0]!;
    const [histories, record, linked, exchanges] = await Promise.all([
      referralHistories(deps.db, [row]),
      latestReferralRecord(deps.db, row),
      linkedReferrals(deps.db, row),
      referralExchanges(deps.db, row.site, row.referralId),
    ]);
    const summary = summaryOf(
      row,
      clocksOf(row, historyOf(histories, row), deps.service.site(row.site), deps.now()),
    );
    res.json({
      ...summary,
      flags: [...summary.flags, ...recordFlags(record?.payload, linked)],
      record: record
        ? { version: record.version, receivedAt: record.receivedAt, payload: record.payload }
        : null,
      linked: linked.map((l) => ({ id: l.referralId, status: l.status, receivedAt: l.receivedAt })),
      exchanges,
    });
  });

  r.post('/records', async (req, res) => {
    const body = parseOrThrow(recordBody, req.body ?? {}, 'body');
    const p = principalOf(res);
    if (p.kind === 'site' && body.record.site !== undefined && body.record.site !== p.siteId)
      throw new NavbridgeError('REC_FORBIDDEN', [
        issue({
          code: 'forbidden',
          diagnostics: 'record.site: a site submits records only for itself',
          expression: 'record.site',
          errorCode: 'REC_FORBIDDEN',
        }),
      ]);
    const result = await deps.service.submit(
      body.recordType,
      body.record,
      p.kind === 'site' ? { site: p.siteId } : {},
    );
    res.status(202).json(result);
  });

  r.get('/exchanges/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) throw notFound('exchange');
    const found = await exchangeWithAttempts(deps.db, id.data);
    const p = principalOf(res);
    if (!found || (p.kind === 'site' && found.exchange.site !== p.siteId)) throw notFound('exchange');
    res.json({ ...found.exchange, attempts: found.attempts });
  });

  return r;
}
