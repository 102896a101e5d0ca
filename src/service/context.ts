// Builds a record's mapping context from what the store holds: the referral's identity and state,
// the previous plan version (dropped goals become cancelled), the latest plan (discharge) and the
// target of an entered-in-error.
import { attemptsSinceContact, toLondon } from '../clock/index.js';
import { unprocessable } from '../errors/index.js';
import {
  defaultContext,
  type MappingContext,
  patientIdentifiers,
  type ReferralIdentity,
} from '../mapping/index.js';
import type { Assessment, RecordOf, RecordType, Referral, SupportPlan } from '../records/index.js';
import type { SiteSettings } from '../settings/site.js';
import type { Queryable } from '../store/db.js';
import { currentEvents, getLatestForReferral, getPreviousVersion, getRecord } from '../store/records.js';
import { getReferralRow, type ReferralRequester, type ReferralRow } from '../store/referrals.js';

export const unknownReferral = () =>
  unprocessable('referralId: no referral with this id at this site', {
    code: 'not-found',
    expression: 'referralId',
  });

function identityFromReferral(
  ref: Referral,
  row: ReferralRow | undefined,
  site: SiteSettings,
): ReferralIdentity {
  const base = defaultContext('referral', ref, site, new Date(0).toISOString()).referral!;
  return {
    ...base,
    patient: { ...base.patient, identifiers: patientIdentifiers(ref.person) },
    ...(ref.sharing ? { sharing: ref.sharing } : {}),
    state: row
      ? {
          taskStatus: row.taskStatus as ReferralIdentity['state']['taskStatus'],
          businessStatus: row.businessStatus,
          onHold: row.onHold,
          hasPlan: row.hasPlan,
        }
      : base.state,
  };
}

/** The attempts a non-engagement letter lists: since the last contact (the clock's rule), oldest first. */
function contactAttemptsOf(events: readonly Record<string, unknown>[]) {
  const contacts = events.flatMap((e) =>
    (e.type === 'contact-attempted' || e.type === 'contacted') && typeof e.at === 'string'
      ? [{ type: e.type, at: new Date(e.at), method: typeof e.method === 'string' ? e.method : '' }]
      : [],
  );
  return attemptsSinceContact(contacts)
    .filter((a) => a.method !== '' && !Number.isNaN(a.at.getTime()))
    .map((a) => ({ method: a.method, at: a.at.toISOString(), date: toLondon(a.at).date }));
}

export interface StoreContext {
  context: MappingContext;
  referralRow?: ReferralRow;
  /** The latest referral version (for a referral record, the record itself). */
  referralRecord: Referral;
}

/** The referral id a record belongs to. */
export const referralIdOf = <T extends RecordType>(recordType: T, record: RecordOf[T]): string =>
  recordType === 'referral'
    ? record.id
    : (record as RecordOf['assessment' | 'support-plan' | 'event']).referralId;

export async function contextFromStore<T extends RecordType>(
  db: Queryable,
  recordType: T,
  record: RecordOf[T],
  site: SiteSettings,
  now: string,
  /** The referrer's ServiceRequest identity of this referral (inbound); else the one kept with it. */
  requester?: ReferralRequester,
  /**
   * The referral's row (and, for other records, its latest referral record) when the caller has read
   * them already (getReferralAndRecord: one round trip).
   */
  known?: { row: ReferralRow | undefined; referralRecord?: unknown },
): Promise<StoreContext> {
  const referralId = referralIdOf(recordType, record);
  const row = known ? known.row : await getReferralRow(db, site.id, referralId);
  const referralRecord = (
    recordType === 'referral'
      ? record
      : known && 'referralRecord' in known
        ? known.referralRecord
        : (await getRecord(db, site.id, 'referral', referralId))?.payload
  ) as Referral | undefined;
  if (!referralRecord) throw unknownReferral();
  const identity = identityFromReferral(referralRecord, row, site);
  const kept = requester ?? row?.requester ?? undefined;
  const context: MappingContext = {
    ...defaultContext(recordType, record, site, now),
    now,
    site,
    referral: kept ? { ...identity, requester: kept } : identity,
  };
  if (recordType === 'support-plan') {
    const plan = record as SupportPlan;
    const prev = await getPreviousVersion(db, site.id, 'support-plan', plan.id, plan.version);
    if (prev) {
      const goals = (prev.payload as SupportPlan).goals ?? [];
      context.previousPlan = { version: prev.version, goalIds: goals.map((g) => g.id), goals };
    }
  }
  if (recordType === 'event') {
    const ev = record as RecordOf['event'];
    if (ev.type === 'discharged') {
      const plan = await getLatestForReferral(db, site.id, referralId, 'support-plan');
      if (plan) context.latestPlan = plan.payload as MappingContext['latestPlan'];
      if (ev.reason === 'non-engagement') {
        const attempts = contactAttemptsOf(await currentEvents(db, site.id, referralId));
        if (attempts.length > 0) context.contactAttempts = attempts;
      }
    }
    if (ev.type === 'entered-in-error') {
      const target = await getRecord(db, site.id, ev.recordType, ev.recordId);
      if (!target)
        throw unprocessable('recordId: no such record at this site', {
          code: 'not-found',
          expression: 'recordId',
        });
      context.target = {
        recordType: ev.recordType,
        id: ev.recordId,
        resources: target.resources.map((r) => ({ resourceType: r.resourceType, subId: r.subId })),
        ...(ev.recordType === 'assessment' ? { tool: (target.payload as Assessment).tool } : {}),
      };
    }
  }
  return { context, ...(row ? { referralRow: row } : {}), referralRecord };
}
