// The one authorisation function: who may read and write what. Every use case asks it before it
// reads or writes patient data; a refusal is audited (cross-tenant attempts leave a row) and answered
// 403 (the wrong kind of caller, or a site naming another site) or 404 (another tenant's thing, or a
// partner's copy it may not see: exactly as if it did not exist).
import { forbidden, notFound } from '../errors/index.js';
import { consentAllows, type RouteRole, type SharingAgreement } from '../routing/index.js';
import type { Receives } from '../settings/app-config.js';
import { audit } from '../store/audit.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

/** A partner's copy of a resource, from an exchange addressed to it (src/store/inbound.ts). */
export interface PartnerCopy {
  exchangeId: string;
  status: string;
  categories: readonly string[];
  roles: readonly string[];
}

export type Access =
  /** A navigator record written for a site (a site only for itself; the admin and the CLI for any). */
  | { action: 'submit-record'; site: string | undefined }
  /** A referral sent in by a partner. */
  | { action: 'refer' }
  /** Referrals of a site, or of every site in scope. */
  | { action: 'read-referrals'; site: string | undefined }
  /** One referral or exchange of a site. */
  | { action: 'read-site-data'; site: string; what: 'referral' | 'exchange'; id?: string }
  /** A partner reading a resource navbridge made: only what was delivered, or would be now, to it. */
  | { action: 'read-partner-copy'; copy: PartnerCopy; sharing: SharingAgreement | undefined }
  /** Dead letters, payload views, kept failures, replays, remaps. */
  | { action: 'administer' };

export type Decision =
  | { allowed: true }
  | { allowed: false; answer: 'forbidden' | 'not-found'; reason: string; expression?: string };

const ALLOW: Decision = { allowed: true };
const deny = (answer: 'forbidden' | 'not-found', reason: string, expression?: string): Decision => ({
  allowed: false,
  answer,
  reason,
  ...(expression ? { expression } : {}),
});

/** Exchanges still on their way to the partner: readable only while consent in force now allows them. */
const UNDELIVERED = new Set(['pending', 'in-flight', 'failed', 'blocked', 'dead']);

/**
 * May the partner see what this exchange carries? Delivered: it has it already. Not yet delivered:
 * only if the consent in force now still lets every category it carries go to the partner in one of
 * its roles (a person's later refusal hides it). Withheld, unroutable, superseded or discarded
 * exchanges were never the partner's (the store does not even offer them).
 */
export function mayReadCopy(copy: PartnerCopy, sharing: SharingAgreement | undefined): boolean {
  if (copy.status === 'delivered') return true;
  if (!UNDELIVERED.has(copy.status) || copy.categories.length === 0) return false;
  return copy.categories.every((category) =>
    copy.roles.some((role) => consentAllows(category as Receives, role as RouteRole, sharing)),
  );
}

/** The decision alone (pure): who the caller is and what it asks for. */
export function decide(caller: Caller | undefined, access: Access): Decision {
  switch (access.action) {
    case 'submit-record':
      if (!caller || caller.kind === 'admin') return ALLOW;
      if (caller.kind !== 'site') return deny('forbidden', 'records are submitted by navigator sites');
      return access.site === undefined || access.site === caller.siteId
        ? ALLOW
        : deny('forbidden', 'record.site: a site submits records only for itself', 'record.site');
    case 'refer':
      return caller?.kind === 'partner' ? ALLOW : deny('forbidden', 'the FHIR API is for referring partners');
    case 'read-referrals':
      if (caller?.kind === 'admin') return ALLOW;
      if (caller?.kind !== 'site') return deny('forbidden', 'referrals are read by navigator sites');
      return access.site === undefined || access.site === caller.siteId
        ? ALLOW
        : deny('forbidden', 'a site sees only its own referrals');
    case 'read-site-data':
      if (caller?.kind === 'admin') return ALLOW;
      return caller?.kind === 'site' && caller.siteId === access.site
        ? ALLOW
        : deny('not-found', `${access.what} of another tenant`);
    case 'read-partner-copy':
      if (caller?.kind !== 'partner') return deny('forbidden', 'the FHIR API is for referring partners');
      return mayReadCopy(access.copy, access.sharing)
        ? ALLOW
        : deny('not-found', 'not delivered to this partner, or no longer agreed');
    case 'administer':
      return caller?.kind === 'admin' || caller === undefined
        ? ALLOW
        : deny('forbidden', `this is available to admin callers only, not ${caller.kind} callers`);
  }
}

/**
 * Decides, and on a refusal writes the audit row (who, what was asked, why) and throws 403 or 404.
 * `caller` undefined is the operator at the command line (the CLI checks the admin credential).
 */
export async function authorize(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller | undefined,
  access: Access,
  what = 'resource',
): Promise<void> {
  const d = decide(caller, access);
  if (d.allowed) return;
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'access-denied',
    targetType: access.action,
    targetId:
      access.action === 'read-partner-copy'
        ? access.copy.exchangeId
        : access.action === 'read-site-data'
          ? (access.id ?? null)
          : null,
    outcome: 'denied',
    detail: { reason: d.reason, answer: d.answer },
  }).catch(() => {});
  throw d.answer === 'forbidden'
    ? forbidden(d.reason, d.expression ? { expression: d.expression } : undefined)
    : notFound(what);
}
