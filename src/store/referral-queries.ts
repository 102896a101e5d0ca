// Read-side queries for the navigator API: referrals in a tenant's scope, their clock history (events
// and assessments from the records table), linked referrals, and exchanges with delivery attempts.
import type { AttemptIssue } from './attempt-results.js';
import type { Db } from './db.js';
import { ATTEMPT_RESPONSE } from './partner-answers.js';
import { sql, vaultOf } from './pg.js';
import { getRecord, RECORD_PAYLOAD, type StoredRecord } from './records.js';
import { getReferralRow, type ReferralRow, type ReferralStatus, toReferralRow } from './referrals.js';

export interface ReferralScope {
  /** Only this site's referrals (a navigator site); absent = every site (admin). */
  site?: string;
  /** Only referrals this partner sent. */
  sourcePartnerId?: string;
}

export interface ReferralListFilter extends ReferralScope {
  status?: ReferralStatus;
  limit?: number;
}

export async function listReferralRows(db: Db, f: ReferralListFilter): Promise<ReferralRow[]> {
  const { rows } = await sql(db).query(
    `SELECT * FROM referrals
      WHERE ($1::text IS NULL OR site = $1) AND ($2::text IS NULL OR source_partner_id = $2)
        AND ($3::text IS NULL OR status = $3)
      ORDER BY received_at, site, referral_id LIMIT $4`,
    [f.site ?? null, f.sourcePartnerId ?? null, f.status ?? null, f.limit ?? 1000],
  );
  return rows.map(toReferralRow);
}

/** The referral row, only when it is within the scope (otherwise: as if it did not exist). */
export async function getScopedReferral(
  db: Db,
  site: string,
  referralId: string,
  scope: ReferralScope,
): Promise<ReferralRow | undefined> {
  if (scope.site && scope.site !== site) return undefined;
  const row = await getReferralRow(db, site, referralId);
  if (!row) return undefined;
  if (scope.sourcePartnerId && row.sourcePartnerId !== scope.sourcePartnerId) return undefined;
  return row;
}

/** Finds referrals by id across the sites in scope (ids are unique per site, not globally). */
export async function findReferralsById(
  db: Db,
  referralId: string,
  scope: ReferralScope,
): Promise<ReferralRow[]> {
  const { rows } = await sql(db).query(
    `SELECT * FROM referrals WHERE referral_id = $1 AND ($2::text IS NULL OR site = $2)
        AND ($3::text IS NULL OR source_partner_id = $3) ORDER BY site`,
    [referralId, scope.site ?? null, scope.sourcePartnerId ?? null],
  );
  return rows.map(toReferralRow);
}

/** What the service clocks need of a referral, from the latest version of each of its records. */
export interface ReferralHistory {
  /** The referral record's `receivedAt` (when the service received it), if the record is stored. */
  recordReceivedAt: string | null;
  events: { type: string; at: string }[];
  /** `completedAt` of each assessment record. */
  assessmentsAt: string[];
}

const key = (site: string, referralId: string) => `${site}|${referralId}`;

export async function referralHistories(
  db: Db,
  referrals: readonly Pick<ReferralRow, 'site' | 'referralId'>[],
): Promise<Map<string, ReferralHistory>> {
  const out = new Map<string, ReferralHistory>();
  if (!referrals.length) return out;
  for (const r of referrals)
    out.set(key(r.site, r.referralId), { recordReceivedAt: null, events: [], assessmentsAt: [] });
  const { rows } = await sql(db).query(
    `SELECT DISTINCT ON (site, record_type, source_id) site, referral_id, record_type, source_id, payload
       FROM records WHERE site = ANY($1::text[]) AND referral_id = ANY($2::text[])
      ORDER BY site, record_type, source_id, version DESC`,
    [[...new Set(referrals.map((r) => r.site))], [...new Set(referrals.map((r) => r.referralId))]],
  );
  const vault = vaultOf(db);
  for (const r of rows) r.payload = await vault.open(r.payload, RECORD_PAYLOAD);
  // Records retracted by an entered-in-error event do not count.
  const retracted = new Set(
    rows
      .filter((r) => r.record_type === 'event' && r.payload?.type === 'entered-in-error')
      .map((r) => `${r.site}|${r.payload.recordType}|${r.payload.recordId}`),
  );
  for (const r of rows) {
    const h = out.get(key(r.site, r.referral_id));
    if (!h || retracted.has(`${r.site}|${r.record_type}|${r.source_id}`)) continue;
    const p = r.payload as Record<string, unknown>;
    if (r.record_type === 'referral' && typeof p.receivedAt === 'string') h.recordReceivedAt = p.receivedAt;
    if (r.record_type === 'event' && typeof p.type === 'string' && typeof p.at === 'string')
      h.events.push({ type: p.type, at: p.at });
    if (r.record_type === 'assessment' && typeof p.completedAt === 'string')
      h.assessmentsAt.push(p.completedAt);
  }
  return out;
}

export function historyOf(map: Map<string, ReferralHistory>, r: Pick<ReferralRow, 'site' | 'referralId'>) {
  return map.get(key(r.site, r.referralId)) ?? { recordReceivedAt: null, events: [], assessmentsAt: [] };
}

/** Other referrals of the same person at the same site (re-referrals, duplicates to look at). */
export async function linkedReferrals(db: Db, row: ReferralRow): Promise<ReferralRow[]> {
  if (!row.personId) return [];
  const { rows } = await sql(db).query(
    `SELECT * FROM referrals WHERE site = $1 AND person_id = $2 AND referral_id <> $3 ORDER BY received_at`,
    [row.site, row.personId, row.referralId],
  );
  return rows.map(toReferralRow);
}

export async function latestReferralRecord(db: Db, row: ReferralRow): Promise<StoredRecord | undefined> {
  return getRecord(db, row.site, 'referral', row.referralId);
}

/** An exchange as the navigator sees it: delivery state, never the payload or the tokens. */
export interface ExchangeView {
  id: string;
  direction: string;
  partnerId: string | null;
  site: string;
  referralId: string | null;
  recordType: string;
  sourceId: string;
  version: number;
  deliveryMode: string | null;
  status: string;
  statusReason: string | null;
  attemptCount: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface AttemptView {
  attempt: number;
  /** The X-Request-Id the attempt was sent with (the same across retries; new on replay). */
  requestId: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: string | null;
  httpStatus: number | null;
  errorClass: string | null;
  durationMs: number | null;
  /** What the partner answered, in short (entry statuses, a location, duplicate): never a payload. */
  response: unknown;
  /** A failure the partner answered: its OperationOutcome's issue codes (never their text). */
  issues: AttemptIssue[];
}

const issuesOf = (response: unknown): AttemptIssue[] => {
  const issues = (response as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? (issues as AttemptIssue[]) : [];
};

const EXCHANGE_COLUMNS = `id, direction, partner_id, site, referral_id, record_type, source_id, version,
  delivery_mode, status, status_reason, attempt_count, next_attempt_at, created_at, updated_at, delivered_at`;

const exchangeView = (r: Record<string, unknown>): ExchangeView => ({
  id: r.id as string,
  direction: r.direction as string,
  partnerId: (r.partner_id as string | null) ?? null,
  site: r.site as string,
  referralId: (r.referral_id as string | null) ?? null,
  recordType: r.record_type as string,
  sourceId: r.source_id as string,
  version: r.version as number,
  deliveryMode: (r.delivery_mode as string | null) ?? null,
  status: r.status as string,
  statusReason: (r.status_reason as string | null) ?? null,
  attemptCount: r.attempt_count as number,
  nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
  deliveredAt: (r.delivered_at as Date | null) ?? null,
});

export async function referralExchanges(db: Db, site: string, referralId: string): Promise<ExchangeView[]> {
  const { rows } = await sql(db).query(
    `SELECT ${EXCHANGE_COLUMNS} FROM exchanges WHERE site = $1 AND referral_id = $2 ORDER BY seq`,
    [site, referralId],
  );
  return rows.map(exchangeView);
}

export async function exchangeWithAttempts(
  db: Db,
  id: string,
): Promise<{ exchange: ExchangeView; attempts: AttemptView[] } | undefined> {
  const { rows } = await sql(db).query(`SELECT ${EXCHANGE_COLUMNS} FROM exchanges WHERE id = $1`, [id]);
  if (!rows[0]) return undefined;
  const attempts = await sql(db).query(
    `SELECT attempt_no, request_id, started_at, finished_at, outcome, http_status, error_class, duration_ms,
            response
       FROM exchange_attempts WHERE exchange_id = $1 ORDER BY attempt_no`,
    [id],
  );
  const vault = vaultOf(db);
  return {
    exchange: exchangeView(rows[0]),
    attempts: await Promise.all(
      attempts.rows.map(async (a) => {
        const response = (await vault.open(a.response, ATTEMPT_RESPONSE)) ?? null;
        return {
          attempt: a.attempt_no,
          requestId: a.request_id,
          startedAt: a.started_at,
          finishedAt: a.finished_at ?? null,
          outcome: a.outcome ?? null,
          httpStatus: a.http_status ?? null,
          errorClass: a.error_class ?? null,
          durationMs: a.duration_ms ?? null,
          response,
          issues: issuesOf(response),
        };
      }),
    ),
  };
}
