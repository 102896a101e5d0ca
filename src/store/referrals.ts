import { type Queryable, sql, type Tx, vaultOf } from './pg.js';
import { RECORD_PAYLOAD } from './records.js';

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

/**
 * A referral's row and its latest referral record's payload, in one round trip (what every record
 * about a referral is mapped with). Either may be missing.
 */
export async function getReferralAndRecord(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<{ row: ReferralRow | undefined; record: unknown }> {
  const { rows } = await sql(db).query(
    `SELECT r.*,
            (SELECT payload FROM records WHERE site = $1 AND record_type = 'referral' AND source_id = $2
              ORDER BY version DESC LIMIT 1) AS nb_referral_payload
       FROM (SELECT 1) AS one LEFT JOIN referrals r ON r.site = $1 AND r.referral_id = $2`,
    [site, referralId],
  );
  const r = rows[0]!;
  return {
    row: r.referral_id === null ? undefined : toReferralRow(r),
    record:
      r.nb_referral_payload === null
        ? undefined
        : await vaultOf(db).open(r.nb_referral_payload, RECORD_PAYLOAD),
  };
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

export async function upsertReferralRow(client: Tx, u: ReferralUpdate): Promise<ReferralRow> {
  const { rows } = await sql(client).query(
    `INSERT INTO referrals (site, referral_id, person_id, source_partner_id, status, triage, task_status,
        business_status, on_hold, has_plan, received_at, requester, reply_to)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, false), $11, $12, $13)
     ON CONFLICT (site, referral_id) DO UPDATE SET
        person_id = COALESCE(referrals.person_id, EXCLUDED.person_id),
        source_partner_id = COALESCE(referrals.source_partner_id, EXCLUDED.source_partner_id),
        status = EXCLUDED.status,
        triage = COALESCE(EXCLUDED.triage, referrals.triage),
        task_status = EXCLUDED.task_status,
        business_status = EXCLUDED.business_status,
        on_hold = EXCLUDED.on_hold,
        has_plan = referrals.has_plan OR COALESCE($10, false),
        requester = COALESCE(EXCLUDED.requester, referrals.requester),
        reply_to = COALESCE(EXCLUDED.reply_to, referrals.reply_to),
        updated_at = now()
     RETURNING *`,
    [
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
  );
  return toReferralRow(rows[0]!);
}
