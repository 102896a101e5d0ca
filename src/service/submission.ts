// A navigator record before it is stored: its structural check against its site's settings, who may
// submit it, the person's identifiers, and the payload each partner receives in its delivery mode.
import type { Bundle, OperationOutcomeIssue, Resource } from 'fhir/r4.js';
import { badRequest, unprocessable } from '../errors/index.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { bundleId } from '../fhir/ids.js';
import { buildPayload } from '../payloads/delivery-forms.js';
import {
  checkRecord,
  fillSite,
  type RecordOf,
  type RecordType,
  type Referral,
  siteToolProblem,
} from '../records/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import type { SiteSettings } from '../settings/site.js';
import type { PersonIdentifier } from '../store/persons.js';
import type { ReferralRequester } from '../store/referrals.js';
import type { TriageDecision } from '../triage/index.js';
import { authorize } from './authorize.js';
import { barsContext, type MessageExtras } from './bars-context.js';
import { referralIdOf } from './context.js';
import type { Caller, ServiceDeps } from './types.js';

export interface SubmitOptions {
  /** Fills the record's `site` where absent. */
  site?: string;
  /** The partner a referral came from (inbound FHIR/BaRS), when not the navigator itself. */
  sourcePartnerId?: string;
  /** The referrer's own ServiceRequest identity (inbound referrals): kept with the referral, mapped into it. */
  requester?: ReferralRequester;
  /** Check-digit failures: defaults to the site's `nhsNumberCheck.navigator` (inbound uses `.partner`). */
  nhsNumberCheck?: 'error' | 'warn';
  /** A BaRS sender's reply address (MessageHeader.source.endpoint): kept with the referral's row. */
  replyTo?: string;
}

export interface SubmittedExchange {
  id: string;
  partnerId: string | null;
  status: string;
  reason: string | null;
}

export interface SubmitResult {
  outcome: 'accepted' | 'duplicate' | 'stale';
  recordType: RecordType;
  site: string;
  id: string;
  version: number;
  triage?: TriageDecision;
  exchanges: SubmittedExchange[];
  warnings: OperationOutcomeIssue[];
}

/** A record that passed its structural check, with its site's settings. */
export interface CheckedRecord<T extends RecordType = RecordType> {
  recordType: T;
  record: RecordOf[T];
  site: SiteSettings;
  /** Warnings of the check (e.g. a failing check digit under 'warn'). */
  warnings: OperationOutcomeIssue[];
}

/** The settings of a site enabled here; 422 otherwise. */
export function enabledSite(deps: Pick<ServiceDeps, 'mappings'>, id: string): SiteSettings {
  const site = deps.mappings.tryGetSite(id);
  if (!site || !deps.mappings.sites.includes(id))
    throw unprocessable('site: not a site enabled in this navbridge', {
      code: 'not-supported',
      expression: 'site',
    });
  return site;
}

/** Structural check of a record (every problem at once): 400 with record paths. */
export function checkSubmission<T extends RecordType>(
  deps: Pick<ServiceDeps, 'mappings' | 'now'>,
  recordType: T,
  input: unknown,
  opts: SubmitOptions = {},
): CheckedRecord<T> {
  const filled = fillSite(input, opts.site);
  const siteId = (filled as { site?: unknown } | null)?.site;
  const now = deps.now();
  if (typeof siteId !== 'string') {
    const check = checkRecord(recordType, filled, { now, nhsNumberCheck: 'error' });
    throw badRequest(
      check.issues.length ? check.issues : 'site: is required',
      check.issues.length ? {} : { code: 'required', expression: 'site' },
    );
  }
  const site = enabledSite(deps, siteId);
  const check = checkRecord(recordType, filled, {
    now,
    nhsNumberCheck: opts.nhsNumberCheck ?? site.nhsNumberCheck.navigator,
    testNumbers: site.nhsNumberCheck.testNumbers,
  });
  if (!check.record) throw badRequest(check.issues);
  const wrongTool = siteToolProblem(recordType, check.record, site.assessmentTool);
  if (wrongTool) throw unprocessable(wrongTool, { expression: 'tool', code: 'business-rule' });
  return { recordType, record: check.record, site, warnings: check.issues };
}

/** A site's case system submits records for its own site only (its site fills the record's). */
export async function assertMaySubmit(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller | undefined,
  input: unknown,
): Promise<SubmitOptions> {
  const site = (input as { site?: unknown } | null)?.site;
  await authorize(deps, caller, {
    action: 'submit-record',
    site: typeof site === 'string' ? site : undefined,
  });
  return caller?.kind === 'site' ? { site: caller.siteId } : {};
}

export function personIdentifiers(ref: Referral): PersonIdentifier[] {
  const systems: Record<string, string> = {
    'nhs-number': IDENTIFIER_SYSTEMS['nhs-number'],
    chi: IDENTIFIER_SYSTEMS.chi,
    'hc-number': IDENTIFIER_SYSTEMS['hc-number'],
  };
  const out: PersonIdentifier[] = [];
  if (ref.person.nhsNumber)
    out.push({ system: systems['nhs-number']!, value: ref.person.nhsNumber, verified: true });
  for (const i of ref.person.identifiers ?? []) {
    const system = systems[i.system];
    if (system) out.push({ system, value: i.value, verified: i.verified !== false });
  }
  return out;
}

/** The payload a partner receives in its delivery mode (`extras`: what a BaRS message adds). */
export function payloadFor(
  partner: PartnerConfig,
  resources: Resource[],
  c: Pick<CheckedRecord, 'recordType' | 'record' | 'site'>,
  nowIso: string,
  extras: MessageExtras = {},
): Bundle {
  const { recordType, record, site } = c;
  const bars =
    partner.mode === 'message' ? { bars: barsContext(site, referralIdOf(recordType, record), extras) } : {};
  return buildPayload(partner.mode, resources, {
    ...bars,
    partner,
    site: site.id,
    recordType,
    sourceId: record.id,
    version: record.version,
    exchangeKey: `${site.id}|${recordType}|${record.id}|${record.version}|${partner.id}`,
    now: nowIso,
    bundleId: bundleId(site.id, recordType, `${record.id}|${partner.id}`, record.version),
  });
}
