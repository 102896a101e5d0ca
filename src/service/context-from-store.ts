// Builds a record's mapping context from what the store holds: the referral's identity and state,
// the previous plan version (dropped goals become cancelled), the latest plan (discharge) and the
// target of an entered-in-error.

import type { SiteSettings } from '../settings/site.js';
import { issue, NavbridgeError } from '../errors/index.js';
import {
  defaultContext,
  type MappingContext,
  patientIdentifiers,
  type ReferralIdentity,
} from '../mapping/index.js';
import type { NavEvent, Referral, SupportPlan } from '../records/index.js';
import type { DbClient } from '../store/db.js';
import { getLatestForReferral, getPreviousVersion, getRecord } from '../store/records.js';
import { getReferralRow, type ReferralRow } from '../store/referrals.js';
import type { TriageDecision } from '../triage/index.js';

export type RecordType = 'referral' | 'assessment' | 'support-plan' | 'event';

export const unknownReferral = (): NavbridgeError =>
  new NavbridgeError('REC_UNPROCESSABLE_ENTITY', [
    issue({
      code: 'not-found',
      diagnostics: 'referralId: no referral with this id at this site',
      expression: 'referralId',
      errorCode: 'REC_UNPROCESSABLE_ENTITY',
    }),
  ]);

function identityFromReferral(
  ref: Referral,
  row: ReferralRow | undefined,
  site: SiteSettings,
): ReferralIdentity {
  const base = defaultContext('referral', ref as never, site, new Date(0).toISOString()).referral!;
  return {
    ...base,
    patient: { ...base.patient, identifiers: patientIdentifiers(ref.person as never) },
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

export interface StoreContext {
  context: MappingContext;
  referralRow?: ReferralRow;
  referralRecord?: Referral;
}

export async function contextFromStore(
  client: DbClient,
  recordType: RecordType,
  record: { id: string; site: string; version: number } & Record<string, unknown>,
  site: SiteSettings,
  now: string,
  triage?: TriageDecision,
): Promise<StoreContext> {
  const referralId = recordType === 'referral' ? record.id : String(record.referralId);
  const row = await getReferralRow(client, site.id, referralId);
  const stored = await getRecord(client, site.id, 'referral', referralId);
  const referralRecord =
    recordType === 'referral' ? (record as unknown as Referral) : (stored?.payload as Referral);
  if (!referralRecord) throw unknownReferral();
  const context: MappingContext = {
    ...defaultContext(recordType, record, site, now),
    now,
    site,
    referral: identityFromReferral(referralRecord, row, site),
  };
  if (triage) context.triage = triage;
  if (recordType === 'support-plan') {
    const prev = await getPreviousVersion(client, site.id, 'support-plan', record.id, record.version);
    if (prev) {
      const goals = ((prev.payload as SupportPlan).goals ?? []) as { id: string }[];
      context.previousPlan = { version: prev.version, goalIds: goals.map((g) => g.id), goals };
    }
  }
  if (recordType === 'event') {
    const ev = record as unknown as NavEvent;
    if (ev.type === 'discharged') {
      const plan = await getLatestForReferral(client, site.id, referralId, 'support-plan');
      if (plan) context.latestPlan = plan.payload as MappingContext['latestPlan'];
    }
    if (ev.type === 'entered-in-error') {
      const target = await getRecord(client, site.id, ev.recordType, ev.recordId);
      if (!target) {
        throw new NavbridgeError('REC_UNPROCESSABLE_ENTITY', [
          issue({
            code: 'not-found',
            diagnostics: 'recordId: no such record at this site',
            expression: 'recordId',
            errorCode: 'REC_UNPROCESSABLE_ENTITY',
          }),
        ]);
      }
      context.target = {
        recordType: ev.recordType,
        id: ev.recordId,
        resources: target.resources.map((r) => ({ resourceType: r.resourceType, subId: r.subId })),
      };
    }
  }
  return { context, ...(row ? { referralRow: row } : {}), referralRecord };
}
