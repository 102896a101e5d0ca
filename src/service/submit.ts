// submitRecord: one navigator record stored, mapped, validated, routed and queued — the function
// behind `navbridge submit`, POST /api/v1/records and inbound referrals. One PostgreSQL transaction;
// queue jobs are added after commit (the sweeper repairs a crash in between).
import type { Bundle, BundleEntry, OperationOutcomeIssue, Task } from 'fhir/r4.js';
import type { PartnerConfig } from '../settings/app-config.js';
import type { SiteSettings } from '../settings/site.js';
import { resourceId } from '../fhir/ids.js';
import { issue, NavbridgeError } from '../errors/index.js';
import type { Validator } from '../fhir/validate.js';
import type { CompiledMapping, MappableRecord } from '../mapping/index.js';
import { checkRecord, fillSite, type NavEvent, type Referral } from '../records/index.js';
import { routeBundle } from '../routing/index.js';
import { type Db, type DbClient, inTransaction } from '../store/db.js';
import { type Exchange, insertOutbound, type QueueJob, supersedeReferral } from '../store/exchanges.js';
import { type PersonIdentifier, resolvePerson } from '../store/persons.js';
import { getRecord, saveRecord, VersionConflictError } from '../store/records.js';
import { type ReferralRequester, upsertReferralRow } from '../store/referrals.js';
import type { TriageDecision } from '../triage/index.js';
import { type RecordType, unknownReferral } from './context-from-store.js';
import { ServiceMapper } from './mapper.js';

export interface ServiceDeps {
  db: Db;
  mappingsDir: string;
  enabledSites: readonly string[];
  partners: readonly PartnerConfig[];
  validator: Validator;
  personKeySecret: string;
  enqueue(jobs: readonly QueueJob[]): Promise<void>;
  /** The only clock: injected so tests and replays are deterministic. */
  now(): Date;
}

export interface SubmitOptions {
  /** Fills the record's `site` where absent. */
  site?: string;
  /** The partner a referral came from (inbound FHIR/BaRS), when not the navigator itself. */
  sourcePartnerId?: string;
  /** The referrer's own ServiceRequest identity (inbound referrals): kept with the referral, mapped into it. */
  requester?: ReferralRequester;
  /** Check-digit failures: defaults to the site's `nhsNumberCheck.navigator` (inbound uses `.partner`). */
  nhsNumberCheck?: 'error' | 'warn';
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

const badRequest = (issues: OperationOutcomeIssue[]) => new NavbridgeError('REC_BAD_REQUEST', issues);

function personIdentifiers(ref: Referral): PersonIdentifier[] {
  const out: PersonIdentifier[] = [];
  const systems: Record<string, string> = {
    'nhs-number': 'https://fhir.nhs.uk/Id/nhs-number',
    chi: 'urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53',
    'hc-number': 'https://fhir.nhs.uk/Id/hsc-number',
  };
  if (ref.person.nhsNumber)
    out.push({ system: systems['nhs-number']!, value: ref.person.nhsNumber, verified: true });
  for (const i of ref.person.identifiers ?? []) {
    if (i.system === 'local') continue;
    out.push({ system: systems[i.system]!, value: i.value, verified: i.verified !== false });
  }
  return out;
}

export class NavigatorService {
  /** Site settings, compiled mappings, mapping and validation (src/service/mapper.ts). */
  readonly mapper: ServiceMapper;

  constructor(private readonly deps: ServiceDeps) {
    this.mapper = new ServiceMapper(deps);
  }

  site(id: string): SiteSettings {
    return this.mapper.site(id);
  }

  mapping(recordType: RecordType, site: string): { compiled: CompiledMapping; version: string } {
    return this.mapper.mapping(recordType, site);
  }

  async submit(recordType: RecordType, input: unknown, opts: SubmitOptions = {}): Promise<SubmitResult> {
    const filled = fillSite(input, opts.site);
    const siteId = (filled as { site?: unknown } | null)?.site;
    const now = this.deps.now();
    if (typeof siteId !== 'string') {
      const check = checkRecord(recordType, filled, { now, nhsNumberCheck: 'error' });
      throw badRequest(
        check.issues.length
          ? check.issues
          : [
              issue({
                code: 'required',
                diagnostics: 'site: is required',
                expression: 'site',
                errorCode: 'REC_BAD_REQUEST',
              }),
            ],
      );
    }
    const site = this.site(siteId);
    const check = checkRecord(recordType, filled, {
      now,
      nhsNumberCheck: opts.nhsNumberCheck ?? site.nhsNumberCheck.navigator,
    });
    if (!check.record) throw badRequest(check.issues);
    const record = check.record as unknown as MappableRecord;
    const { jobs, result } = await inTransaction(this.deps.db, (client) =>
      this.process(client, recordType, record, site, now, opts, check.issues),
    );
    await this.deps.enqueue(jobs);
    return result;
  }

  private async process(
    client: DbClient,
    recordType: RecordType,
    record: MappableRecord,
    site: SiteSettings,
    now: Date,
    opts: SubmitOptions,
    warnings: OperationOutcomeIssue[],
  ): Promise<{ jobs: QueueJob[]; result: SubmitResult }> {
    const nowIso = now.toISOString();
    const referralId = recordType === 'referral' ? record.id : String(record.referralId);
    const base = { recordType, site: site.id, id: record.id, version: record.version, warnings };

    // Person first: the referral record carries the identifiers; others follow their referral.
    let personId: string;
    if (recordType === 'referral') {
      personId = await resolvePerson(
        client,
        this.deps.personKeySecret,
        personIdentifiers(record as unknown as Referral),
      );
    } else {
      const { rows } = await client.query(
        'SELECT person_id FROM referrals WHERE site = $1 AND referral_id = $2',
        [site.id, referralId],
      );
      if (!rows[0]) throw unknownReferral();
      personId = rows[0].person_id;
    }

    const { bundle, identities, referralRecord, mappingVersion, triage } = await this.mapper.mapValidated(
      client,
      recordType,
      record,
      site,
      nowIso,
      recordType === 'referral' ? opts.requester : undefined,
    );

    let saved: Awaited<ReturnType<typeof saveRecord>>;
    try {
      saved = await saveRecord(client, {
        site: site.id,
        recordType,
        sourceId: record.id,
        version: record.version,
        referralId,
        personId,
        payload: record,
        mappingVersion,
        resources: identities,
      });
    } catch (err) {
      if (err instanceof VersionConflictError) {
        throw new NavbridgeError('REC_CONFLICT', [
          issue({
            code: 'conflict',
            diagnostics:
              'version: this version was already received with different content; send a higher version',
            expression: 'version',
            errorCode: 'REC_CONFLICT',
          }),
        ]);
      }
      throw err;
    }
    if (saved !== 'inserted') {
      const { rows } = await client.query(
        `SELECT id, partner_id, status, status_reason FROM exchanges WHERE site = $1 AND record_type = $2 AND source_id = $3 AND version = $4 ORDER BY seq`,
        [site.id, recordType, record.id, record.version],
      );
      const exchanges = rows.map((r) => ({
        id: r.id,
        partnerId: r.partner_id,
        status: r.status,
        reason: r.status_reason,
      }));
      return { jobs: [], result: { ...base, outcome: saved, exchanges } };
    }

    // The referral's state follows its Task as mapped (one source of truth: the Task status table).
    const taskId = resourceId(site.id, 'Task', referralId);
    const task = bundle.entry
      ?.map((e) => e.resource)
      .find((r): r is Task => r?.resourceType === 'Task' && r.id === taskId);
    if (task) {
      await upsertReferralRow(client, {
        site: site.id,
        referralId,
        personId,
        sourcePartnerId: opts.sourcePartnerId ?? null,
        ...(triage ? { triage } : {}),
        taskStatus: task.status,
        businessStatus: task.businessStatus?.coding?.[0]?.code ?? task.status,
        hasPlan:
          recordType === 'support-plan' ||
          (recordType === 'event' && (record as unknown as NavEvent).type === 'plan-agreed'),
        receivedAt: now,
        ...(recordType === 'referral' && opts.requester ? { requester: opts.requester } : {}),
      });
    }

    const jobs: QueueJob[] = [];
    const exchanges: SubmittedExchange[] = [];
    const routes = routeBundle({
      recordType,
      record: record as never,
      bundle,
      referral: referralRecord as never,
      sourcePartnerId: opts.sourcePartnerId ?? (await this.sourcePartner(client, site.id, referralId)),
      partners: this.deps.partners,
    });
    for (const route of routes) {
      const partner = route.partnerId ? this.deps.partners.find((p) => p.id === route.partnerId) : undefined;
      const payload: Bundle =
        partner && route.decision === 'send'
          ? this.mapper.payloadFor(partner, route.resources, recordType, record, site.id, nowIso)
          : {
              resourceType: 'Bundle',
              type: 'collection',
              entry: route.resources.map((r): BundleEntry => ({ fullUrl: `urn:uuid:${r.id}`, resource: r })),
            };
      const { exchange, jobs: j } = await insertOutbound(client, {
        partnerId: route.partnerId,
        site: site.id,
        recordType,
        sourceId: record.id,
        version: record.version,
        referralId,
        personId,
        stateKey: route.stateKey,
        deliveryMode: partner?.mode ?? null,
        payload,
        ...(route.decision === 'send' ? {} : { unsent: { status: route.decision, reason: route.reason } }),
      });
      jobs.push(...j);
      exchanges.push({
        id: exchange.id,
        partnerId: exchange.partnerId,
        status: exchange.status,
        reason: exchange.statusReason,
      });
    }

    // A withdrawn or retracted referral: nothing more about it leaves, except this acknowledgement.
    const ev = recordType === 'event' ? (record as unknown as NavEvent) : undefined;
    if (ev && (ev.type === 'withdrawn' || (ev.type === 'entered-in-error' && ev.recordType === 'referral'))) {
      jobs.push(
        ...(await supersedeReferral(
          client,
          site.id,
          referralId,
          `referral ${ev.type}`,
          exchanges.map((x) => x.id),
        )),
      );
    }
    return { jobs, result: { ...base, outcome: 'accepted', ...(triage ? { triage } : {}), exchanges } };
  }

  /**
   * Re-runs the mapping of a dead exchange's record (that version) with the current mapping files and
   * the referral's current state, for a replay after a mapping fix. Only the payload changes; the
   * exchange keeps its place in the person's sequence and its correlation id.
   */
  async remapExchange(x: Exchange): Promise<{ payload: Bundle; mappingVersion: string }> {
    const fail = (diagnostics: string) =>
      new NavbridgeError('REC_UNPROCESSABLE_ENTITY', [
        issue({ code: 'processing', diagnostics, errorCode: 'REC_UNPROCESSABLE_ENTITY' }),
      ]);
    const partner = this.deps.partners.find((p) => p.id === x.partnerId);
    if (!partner) throw fail('the exchange has no configured partner');
    const site = this.site(x.site);
    const recordType = x.recordType as RecordType;
    return inTransaction(this.deps.db, async (client) => {
      const stored = await getRecord(client, x.site, recordType, x.sourceId, x.version);
      if (!stored) throw fail('the record of this exchange is not stored');
      const record = stored.payload as MappableRecord;
      const nowIso = this.deps.now().toISOString();
      const { bundle, referralRecord, mappingVersion } = await this.mapper.mapValidated(
        client,
        recordType,
        record,
        site,
        nowIso,
      );
      const route = routeBundle({
        recordType,
        record: record as never,
        bundle,
        referral: referralRecord as never,
        sourcePartnerId: await this.sourcePartner(client, x.site, stored.referralId),
        partners: this.deps.partners,
      }).find((r) => r.partnerId === partner.id && r.decision === 'send');
      if (!route) throw fail('after remapping, this partner no longer receives this record');
      return {
        payload: this.mapper.payloadFor(partner, route.resources, recordType, record, x.site, nowIso),
        mappingVersion,
      };
    });
  }

  private async sourcePartner(
    client: DbClient,
    site: string,
    referralId: string,
  ): Promise<string | undefined> {
    const { rows } = await client.query(
      'SELECT source_partner_id FROM referrals WHERE site = $1 AND referral_id = $2',
      [site, referralId],
    );
    return rows[0]?.source_partner_id ?? undefined;
  }
}
