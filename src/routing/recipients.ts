// Who may receive what: the referrer, GP and onward-service partners of a record, and the consent rule
// of docs/delivery.md "Routing and consent" for each (category, role).
import type { Resource } from 'fhir/r4.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { resourceId } from '../fhir/ids.js';
import type { PartnerConfig, Receives } from '../settings/app-config.js';
import { businessIdentifiers } from './categories.js';

export type RouteRole = 'referrer' | 'gp' | 'onward-service';
export const ROLE_ORDER: readonly RouteRole[] = ['referrer', 'gp', 'onward-service'];

/** The referral's agreement to share (absent flags: statusUpdates = not objected, the rest = not agreed). */
export interface SharingAgreement {
  statusUpdates?: boolean;
  withReferrer?: boolean;
  withGp?: boolean;
  withOnwardServices?: boolean;
}

/** What routing reads from the latest referral version. */
export interface RoutingReferral {
  sharing?: SharingAgreement | undefined;
  referrer?: { odsCode?: string | undefined } | undefined;
  person?: { gpPracticeOds?: string | undefined } | undefined;
}

export interface RoutingOnwardReferral {
  id: string;
  service: { odsCode?: string | undefined };
}

/** What routing reads from the record being mapped. */
export interface RoutingRecord {
  id: string;
  site: string;
  onwardReferrals?: readonly RoutingOnwardReferral[] | undefined;
}

const DIRECT_CARE: ReadonlySet<Receives> = new Set(['referral-status', 'discharge', 'escalation']);

/** The `sharing` flag a (category, role) pair depends on, for reasons. */
export function consentFlag(category: Receives, role: RouteRole): keyof SharingAgreement {
  if (DIRECT_CARE.has(category)) return 'statusUpdates';
  return role === 'referrer' ? 'withReferrer' : role === 'gp' ? 'withGp' : 'withOnwardServices';
}

/**
 * May `category` go to a partner in `role`? Direct care goes unless the person objected; escalation
 * of deterioration always reaches the referrer (safeguarding); content needs an explicit agreement.
 */
export function consentAllows(
  category: Receives,
  role: RouteRole,
  sharing: SharingAgreement | undefined,
): boolean {
  if (DIRECT_CARE.has(category)) {
    if (role === 'onward-service') return false;
    if (category === 'escalation' && role === 'referrer') return true;
    return sharing?.statusUpdates !== false;
  }
  return sharing?.[consentFlag(category, role)] === true;
}

const serves = (p: PartnerConfig, ods: string | undefined): boolean => !!ods && p.odsCodes.includes(ods);

/** The partner that sent the referral: named by the caller, else the one serving the referrer's ODS code. */
export function referrerPartner(
  partners: readonly PartnerConfig[],
  referral: RoutingReferral | undefined,
  sourcePartnerId: string | undefined,
): PartnerConfig | undefined {
  const named = sourcePartnerId ? partners.find((p) => p.id === sourcePartnerId) : undefined;
  return named ?? partners.find((p) => serves(p, referral?.referrer?.odsCode));
}

/** The GP practice's partner: a practice listing the ODS code, else a PCN listing it (config order). */
export function gpPartner(
  partners: readonly PartnerConfig[],
  referral: RoutingReferral | undefined,
): PartnerConfig | undefined {
  const ods = referral?.person?.gpPracticeOds;
  return (
    partners.find((p) => p.kind === 'gp-practice' && serves(p, ods)) ??
    partners.find((p) => p.kind === 'pcn' && serves(p, ods))
  );
}

/**
 * The ODS code of the service an onward-referral ServiceRequest goes to: from the record's
 * `onwardReferrals` entry it was mapped from (matched by business identifier or resource id), else
 * from the request's performer (e.g. an entered-in-error retraction, whose record has no plan).
 */
export function onwardServiceOds(sr: Resource, record: RoutingRecord): string | undefined {
  const idents = businessIdentifiers(sr);
  const entry = (record.onwardReferrals ?? []).find(
    (or) =>
      idents.some(
        (i) => i.system?.endsWith('/support-plan-onward-referral') && i.value === `${record.id}/${or.id}`,
      ) || sr.id === resourceId(record.site, 'ServiceRequest', record.id, or.id),
  );
  if (entry) return entry.service.odsCode;
  const performers = (sr as { performer?: { identifier?: { system?: string; value?: string } }[] }).performer;
  return performers?.find((p) => p.identifier?.system === IDENTIFIER_SYSTEMS.ods)?.identifier?.value;
}

/** The partner serving an onward service's ODS code, community services first. */
export function onwardPartner(
  partners: readonly PartnerConfig[],
  ods: string | undefined,
): PartnerConfig | undefined {
  return (
    partners.find((p) => p.kind === 'community-service' && serves(p, ods)) ??
    partners.find((p) => serves(p, ods))
  );
}
