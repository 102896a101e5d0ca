// The service's mapping path: site settings and compiled mappings (cached), the mapping context from
// the store, mapping, discharge completion, validation, and each partner's payload.
import { createHash } from 'node:crypto';
import type { Bundle, Resource } from 'fhir/r4.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { loadMapping, loadSiteSettings } from '../config/mappings.js';
import type { SiteSettings } from '../settings/site.js';
import { buildPayload } from '../fhir/delivery-forms.js';
import { bundleId } from '../fhir/ids.js';
import { hasErrors, issue, NavbridgeError } from '../errors/index.js';
import type { Validator } from '../fhir/validate.js';
import {
  type CompiledMapping,
  type MappableRecord,
  type MappingContext,
  mapRecordTraced,
} from '../mapping/index.js';
import type { NavEvent, Referral } from '../records/index.js';
import type { DbClient } from '../store/db.js';
import type { ReferralRequester } from '../store/referrals.js';
import { type TriageDecision, triageReferral } from '../triage/index.js';
import { contextFromStore, type RecordType } from './context-from-store.js';

export interface MapperDeps {
  mappingsDir: string;
  enabledSites: readonly string[];
  validator: Validator;
}

function mappingVersionOf(m: CompiledMapping): string {
  const src = m.resources.map((r) => [
    r.name,
    r.expression.source,
    r.when?.source ?? '',
    r.patch?.source ?? '',
  ]);
  return createHash('sha256')
    .update(JSON.stringify([m.files, src, m.codeTables]))
    .digest('hex')
    .slice(0, 12);
}

export class ServiceMapper {
  private readonly sites = new Map<string, SiteSettings>();
  private readonly mappings = new Map<string, { compiled: CompiledMapping; version: string }>();

  constructor(private readonly deps: MapperDeps) {}

  site(id: string): SiteSettings {
    if (!this.deps.enabledSites.includes(id)) {
      throw new NavbridgeError('REC_UNPROCESSABLE_ENTITY', [
        issue({
          code: 'not-supported',
          diagnostics: 'site: not a site enabled in this navbridge',
          expression: 'site',
          errorCode: 'REC_UNPROCESSABLE_ENTITY',
        }),
      ]);
    }
    let s = this.sites.get(id);
    if (!s) {
      s = loadSiteSettings(this.deps.mappingsDir, id);
      this.sites.set(id, s);
    }
    return s;
  }

  mapping(recordType: RecordType, site: string): { compiled: CompiledMapping; version: string } {
    const key = `${recordType}|${site}`;
    let m = this.mappings.get(key);
    if (!m) {
      const compiled = loadMapping(this.deps.mappingsDir, recordType, site);
      m = { compiled, version: mappingVersionOf(compiled) };
      this.mappings.set(key, m);
    }
    return m;
  }

  /** Context from the store → mapping → (discharge completion) → validation. Errors never reach a partner. */
  async mapValidated(
    client: DbClient,
    recordType: RecordType,
    record: MappableRecord,
    site: SiteSettings,
    nowIso: string,
    requester?: ReferralRequester,
  ) {
    // Triage is part of mapping a referral: its decision goes into the context (and the Task).
    const triage: TriageDecision | undefined =
      recordType === 'referral' ? triageReferral(record as unknown as Referral, site) : undefined;
    const { context, referralRecord, referralRow } = await contextFromStore(
      client,
      recordType,
      record,
      site,
      nowIso,
      triage,
    );
    // The referrer's ServiceRequest identity: this referral's (inbound), else the one kept with it.
    const kept = requester ?? referralRow?.requester ?? undefined;
    if (kept && context.referral) context.referral = { ...context.referral, requester: kept };
    const { compiled, version: mappingVersion } = this.mapping(recordType, site.id);
    const mapped = await mapRecordTraced(compiled, record, context);
    const bundle = await this.completeDischarge(recordType, record, mapped.bundle, site, context);
    const problems = this.deps.validator.validateBundle(bundle);
    if (hasErrors(problems)) throw new NavbridgeError('MAPPING_ERROR', problems);
    return { bundle, identities: mapped.identities, referralRecord, mappingVersion, triage };
  }

  payloadFor(
    partner: PartnerConfig,
    resources: Resource[],
    recordType: RecordType,
    record: MappableRecord,
    site: string,
    nowIso: string,
  ): Bundle {
    return buildPayload(partner.mode, resources, {
      partner,
      site,
      recordType,
      sourceId: record.id,
      version: record.version,
      exchangeKey: `${site}|${recordType}|${record.id}|${record.version}|${partner.id}`,
      now: nowIso,
      bundleId: bundleId(site, recordType, `${record.id}|${partner.id}`, record.version),
    });
  }

  /**
   * A discharge completes the support plan. The event mapping emits a minimal CarePlan; a partner that
   * replaces the whole resource would lose the plan's goals and activities, so the full plan is re-mapped
   * from the latest plan record with status completed and put in its place.
   */
  private async completeDischarge(
    recordType: RecordType,
    record: MappableRecord,
    bundle: Bundle,
    site: SiteSettings,
    context: MappingContext,
  ): Promise<Bundle> {
    const latestPlan = context.latestPlan;
    if (recordType !== 'event' || (record as unknown as NavEvent).type !== 'discharged' || !latestPlan)
      return bundle;
    const plan = { ...latestPlan, status: 'completed' } as unknown as MappableRecord;
    const planMapping = this.mapping('support-plan', site.id).compiled;
    const { latestPlan: _l, target: _t, previousPlan: _p, ...planContext } = context;
    const planBundle = await mapRecordTraced(planMapping, plan, planContext);
    const planEntries = planBundle.bundle.entry ?? [];
    const full = planEntries.find((e) => e.resource?.resourceType === 'CarePlan');
    if (!full?.resource) return bundle;
    const present = new Set((bundle.entry ?? []).map((e) => e.fullUrl));
    // The full CarePlan references its Goals and onward referrals: they travel with it.
    const extra = planEntries.filter(
      (e) => e.resource?.resourceType !== 'CarePlan' && !present.has(e.fullUrl),
    );
    const entry = (bundle.entry ?? []).map((e) =>
      e.resource?.resourceType === 'CarePlan' && e.resource.id === full.resource?.id
        ? { ...e, resource: full.resource as Resource }
        : e,
    );
    return { ...bundle, entry: [...entry, ...extra] };
  }
}
