import { type Queryable, sql } from './pg.js';

export type ReferralStatus = 'new' | 'open' | 'closed';

export interface ReferralRow {
  site: string;
  referralId: string;
  personId: string | null;
  sourcePartnerId: string | null;
  status: ReferralStatus;
  triage: unknown;
  taskStatus: string;
  businessStatus: string;
  onHold: boolean;
  hasPlan: boolean;
  receivedAt: Date;
  updatedAt: Date;
  /** The referrer's own ServiceRequest identity (inbound FHIR/BaRS), when it sent one. */
  requester?: ReferralRequester | null;
}

export interface ReferralRequester {
  odsCode?: string;
  serviceRequestIdentifier?: { system: string; value: string };
  serviceRequestUrl?: string;
  /** BaRS (src/intake/bars-request.ts): the request message's Bundle.id, its ServiceRequest id, journey. */
  requestBundleId?: string;
  serviceRequestId?: string;
  journey?: { reference?: string; identifier?: { system: string; value: string } };
}

/** A `referrals` table row as the store's callers see it. */
export const toReferralRow = (r: Record<string, unknown>): ReferralRow => ({
  site: r.site as string,
  referralId: r.referral_id as string,
  personId: (r.person_id as string | null) ?? null,
  sourcePartnerId: (r.source_partner_id as string | null) ?? null,
  status: r.status as ReferralStatus,
  triage: r.triage,
  taskStatus: (r.task_status as string | null) ?? 'requested',
  businessStatus: (r.business_status as string | null) ?? 'received',
  onHold: r.on_hold as boolean,
  hasPlan: r.has_plan as boolean,
  receivedAt: r.received_at as Date,
  updatedAt: r.updated_at as Date,
  requester: (r.requester as ReferralRequester | null) ?? null,
});

export async function getReferralRow(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<ReferralRow | undefined> {
  const { rows } = await sql(db).query('SELECT * FROM referrals WHERE site = $1 AND referral_id = $2', [
    site,
    referralId,
  ]);
  return rows[0] ? toReferralRow(rows[0]) : undefined;
}

/** The person and the referring partner of a referral; undefined when no such referral is stored. */
export async function referralOwner(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<{ personId: string | null; sourcePartnerId: string | null } | undefined> {
  const { rows } = await sql(db).query(
    'SELECT person_id, source_partner_id FROM referrals WHERE site = $1 AND referral_id = $2',
    [site, referralId],
  );
  return rows[0]
    ? { personId: rows[0].person_id ?? null, sourcePartnerId: rows[0].source_partner_id ?? null }
    : undefined;
}

/** Task status → referral state: new (not yet accepted or rejected), open, closed. */
export function referralStatusOf(taskStatus: string): ReferralStatus {
  if (['accepted', 'in-progress', 'on-hold', 'ready'].includes(taskStatus)) return 'open';
  if (['rejected', 'cancelled', 'completed', 'failed', 'entered-in-error'].includes(taskStatus))
    return 'closed';
  return 'new';
}

export interface ReferralUpdate {
  site: string;
  referralId: string;
  personId: string | null;
  sourcePartnerId?: string | null;
  triage?: unknown;
  taskStatus: string;
  businessStatus: string;
  hasPlan?: boolean;
  receivedAt: Date;
  requester?: ReferralRequester;
  /** A BaRS sender's reply address, kept with the row (as `keepReplyAddress` keeps it). */
  replyTo?: string;
}

/**
 * The referral row's upsert with its values numbered from `$first`, as one part of `saveRecord`'s
 * statement (the row changes with the record version that changed it), applied only `when` that SQL
 * condition holds.
 */
export function referralUpsert(
  u: ReferralUpdate,
  first: number,
  when: string,
): { text: string; values: unknown[] } {
  const p = (i: number) => `$${first + i}`;
  return {
    text: `INSERT INTO referrals (site, referral_id, person_id, source_partner_id, status, triage, task_status,
        business_status, on_hold, has_plan, received_at, requester, reply_to)
     SELECT ${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)},
            COALESCE(${p(9)}::boolean, false), ${p(10)}, ${p(11)}, ${p(12)}
      WHERE ${when}
     ON CONFLICT (site, referral_id) DO UPDATE SET
        person_id = COALESCE(referrals.person_id, EXCLUDED.person_id),
        source_partner_id = COALESCE(referrals.source_partner_id, EXCLUDED.source_partner_id),
        status = EXCLUDED.status,
        triage = COALESCE(EXCLUDED.triage, referrals.triage),
        task_status = EXCLUDED.task_status,
        business_status = EXCLUDED.business_status,
        on_hold = EXCLUDED.on_hold,
        has_plan = referrals.has_plan OR COALESCE(${p(9)}::boolean, false),
        requester = COALESCE(EXCLUDED.requester, referrals.requester),
        reply_to = COALESCE(EXCLUDED.reply_to, referrals.reply_to),
        updated_at = now()`,
    values: [
      u.site,
      u.referralId,
      u.personId,
      u.sourcePartnerId ?? null,
      referralStatusOf(u.taskStatus),
      u.triage === undefined ? null : JSON.stringify(u.triage),
      u.taskStatus,
      u.businessStatus,
      u.taskStatus === 'on-hold',
      u.hasPlan ?? null,
      u.receivedAt,
      u.requester ? JSON.stringify(u.requester) : null,
      u.replyTo ?? null,
    ],
  };
}
