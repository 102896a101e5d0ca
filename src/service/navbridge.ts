// The service's one object: every use case, one door each, bound to its dependencies. The API and
// the CLI hold this and nothing below it; they translate HTTP or argv into these calls and back.
import type { RecordType } from '../records/index.js';
import type { AlertsConfig, RetentionConfig } from '../settings/app-config.js';
import { type CircuitState, readCircuits } from '../store/circuits.js';
import { pendingMigrations, pingDb } from '../store/db.js';
import { type AuditQuery, exportAuditEvents, queryAudit, verifyAudit } from './audit-trail.js';
import type { Authenticate } from './authenticate.js';
import { authorize } from './authorize.js';
import { messageDefinitions, readMessageDefinition } from './bars-receiver.js';
import {
  type DeadLetterFilter,
  discardDeadLetter,
  listDeadLetters,
  type ReplayTarget,
  replayDeadLetters,
  showExchange,
} from './dead-letters.js';
import { type FailureFilter, listFailedRecords, remapFailure, remapFailures } from './failures.js';
import { auditEdgeRefusal } from './inbound-request.js';
import { keyStatus, rotateKeys } from './keys.js';
import type { Operations, PartnerStatus } from './metrics.js';
import { historyPartnerResource, vreadPartnerResource } from './partner-history.js';
import {
  type ReadableType,
  readPartnerResource,
  searchPartnerServiceRequests,
  searchPartnerTasks,
} from './partner-reads.js';
import {
  type InboundRun,
  openDeadLetter,
  type PlaygroundSettings,
  playgroundCatalog,
  playgroundSource,
  type RecordRun,
  runInbound,
} from './playground.js';
import { runRecordWithDiff, type SaveGolden, saveGolden } from './playground-goldens.js';
import { auditRefusal, type InboundRequest, receiveReferral } from './receive-referral.js';
import { listReferrals, type ReferralQuery, showExchangeState, showReferral } from './referrals.js';
import { kpiMeasureReport } from './report-formats.js';
import { type KpiRequest, kpiReport } from './reports.js';
import { prunePayloads } from './retention.js';
import { type SubmitOptions, submitRecord } from './submit.js';
import type { Caller, ServiceDeps } from './types.js';
import { type ValidateInput, validateFhirResource } from './validate-resource.js';
import { type WarmUpOptions, warmUp } from './warm-up.js';
import { listAlertsFor, runWatchdog } from './watchdog.js';

/** Each readiness check (PostgreSQL, Redis, migrations, circuits) answers within this long. */
export const HEALTH_TIMEOUT_MS = 1_000;

export type Check = 'ok' | 'unavailable';

export interface Readiness {
  ready: boolean;
  postgres: Check;
  redis: Check;
  /** Shipped migrations not applied (undefined: PostgreSQL did not answer). */
  migrations: { status: 'ok' | 'pending' | 'unknown'; pending: string[] };
  /** Each partner's circuit as every worker sees it (PostgreSQL); `unknown` when it did not answer. */
  partners: { id: string; circuit: CircuitState | 'unknown' }[];
}

/** The promise's value, or `fallback` once `ms` have passed or when it rejects. */
function bounded<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([p.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

export interface NavbridgeDeps extends ServiceDeps {
  /** The watchdog's thresholds (configuration `alerts`). */
  alerts: AlertsConfig;
  authenticate: Authenticate;
  /** Whether Redis answers (health). */
  pingRedis(): Promise<boolean>;
  /** Per-partner figures for `navbridge status` (the same as the metrics). */
  operations?: Operations;
  /** The mapping playground (configuration `playground.enabled`); absent: off. */
  playground?: PlaygroundSettings;
}

export function createNavbridge(deps: NavbridgeDeps) {
  return Object.freeze({
    authenticate: deps.authenticate,
    async health(): Promise<{ postgres: boolean; redis: boolean }> {
      const [postgres, redis] = await Promise.all([pingDb(deps.db, HEALTH_TIMEOUT_MS), deps.pingRedis()]);
      return { postgres, redis };
    },
    /** Readiness (`/ready`): every check in parallel, each bounded by HEALTH_TIMEOUT_MS. */
    async readiness(): Promise<Readiness> {
      const [postgres, redis, pending, circuits] = await Promise.all([
        pingDb(deps.db, HEALTH_TIMEOUT_MS),
        deps.pingRedis(),
        bounded<string[] | undefined>(pendingMigrations(deps.db), HEALTH_TIMEOUT_MS, undefined),
        bounded<Awaited<ReturnType<typeof readCircuits>> | undefined>(
          readCircuits(deps.db),
          HEALTH_TIMEOUT_MS,
          undefined,
        ),
      ]);
      const migrations = pending
        ? { status: pending.length ? ('pending' as const) : ('ok' as const), pending }
        : { status: 'unknown' as const, pending: [] };
      return {
        ready: postgres && redis && migrations.status === 'ok',
        postgres: postgres ? 'ok' : 'unavailable',
        redis: redis ? 'ok' : 'unavailable',
        migrations,
        partners: deps.partners.map((p) => ({
          id: p.id,
          circuit: circuits ? (circuits.get(p.id)?.state ?? 'closed') : 'unknown',
        })),
      };
    },
    /** Per partner: pending, in flight, delivered today, failed, dead, blocked, circuit, oldest age. */
    async partnerStatus(caller: Caller): Promise<PartnerStatus[]> {
      await authorize(deps, caller, { action: 'administer' });
      if (!deps.operations) throw new Error('this process has no operations view');
      return deps.operations.partnerStatus();
    },
    submitRecord: (
      caller: Caller | undefined,
      recordType: RecordType,
      input: unknown,
      opts?: SubmitOptions,
    ) => submitRecord(deps, caller, recordType, input, opts),
    receiveReferral: (caller: Caller, req: InboundRequest) => receiveReferral(deps, caller, req),
    auditRefusal: (caller: Caller, detail: Parameters<typeof auditRefusal>[2]) =>
      auditRefusal(deps, caller, detail),
    auditEdgeRefusal: (caller: Caller | undefined, r: Parameters<typeof auditEdgeRefusal>[2]) =>
      auditEdgeRefusal(deps, caller, r),
    readPartnerResource: (caller: Caller, type: ReadableType, id: string) =>
      readPartnerResource(deps, caller, type, id),
    vreadPartnerResource: (caller: Caller, type: ReadableType, id: string, vid: string) =>
      vreadPartnerResource(deps, caller, type, id, vid),
    historyPartnerResource: (caller: Caller, type: ReadableType, id: string) =>
      historyPartnerResource(deps, caller, type, id),
    searchPartnerTasks: (caller: Caller, focus: unknown) => searchPartnerTasks(deps, caller, focus),
    searchPartnerServiceRequests: (caller: Caller, patientIdentifier: unknown) =>
      searchPartnerServiceRequests(deps, caller, patientIdentifier),
    /** The BaRS MessageDefinitions navbridge receives against (public: no patient data). */
    messageDefinitions: () => messageDefinitions(deps),
    readMessageDefinition: (id: string) => readMessageDefinition(deps, id),
    /** FHIR $validate for an authenticated /fhir caller (nothing stored, nothing audited: no data kept). */
    validateResource: (_caller: Caller, input: ValidateInput) => validateFhirResource(deps, input),
    listReferrals: (caller: Caller, q: ReferralQuery) => listReferrals(deps, caller, q),
    showReferral: (caller: Caller, id: string, site?: string) => showReferral(deps, caller, id, site),
    /** One watchdog run (the worker's job scheduler calls it; tests call it with their clock). */
    runWatchdog: () => runWatchdog(deps, deps.alerts),
    listAlerts: (caller: Caller, filter: Parameters<typeof listAlertsFor>[2]) =>
      listAlertsFor(deps, caller, filter),
    kpiReport: (caller: Caller, q: KpiRequest) => kpiReport(deps, caller, q),
    /** The KPI report as a FHIR MeasureReport against the shipped Measure. */
    async kpiMeasureReport(caller: Caller, q: KpiRequest) {
      const report = await kpiReport(deps, caller, q);
      const site = deps.mappings.tryGetSite(report.site);
      return kpiMeasureReport(report, {
        name: site?.name ?? report.site,
        ...(site?.odsCode ? { odsCode: site.odsCode } : {}),
      });
    },
    showExchangeState: (caller: Caller, id: string) => showExchangeState(deps, caller, id),
    listDeadLetters: (caller: Caller, filter: DeadLetterFilter) => listDeadLetters(deps, caller, filter),
    showExchange: (caller: Caller, id: string) => showExchange(deps, caller, id),
    replayDeadLetters: (caller: Caller, target: ReplayTarget, opts?: { remap?: boolean }) =>
      replayDeadLetters(deps, caller, target, opts),
    discardDeadLetter: (caller: Caller, id: string, reason: string) =>
      discardDeadLetter(deps, caller, id, reason),
    listFailedRecords: (caller: Caller, filter: FailureFilter) => listFailedRecords(deps, caller, filter),
    remapFailure: (caller: Caller, id: string) => remapFailure(deps, caller, id),
    remapFailures: (caller: Caller, filter: { site?: string; limit?: number }) =>
      remapFailures(deps, caller, filter),
    queryAudit: (caller: Caller, q: AuditQuery) => queryAudit(deps, caller, q),
    exportAuditEvents: (caller: Caller, q: AuditQuery) => exportAuditEvents(deps, caller, q),
    verifyAudit: (caller: Caller) => verifyAudit(deps, caller),
    rotateKeys: (caller: Caller, opts?: Parameters<typeof rotateKeys>[2]) => rotateKeys(deps, caller, opts),
    keyStatus: (caller: Caller) => keyStatus(deps, caller),
    prunePayloads: (caller: Caller, policy: RetentionConfig) => prunePayloads(deps, caller, policy),
    /** The mapping playground (src/service/playground.ts): each answers 404 when it is off. */
    playgroundEnabled: deps.playground !== undefined,
    playgroundCatalog: (caller: Caller) => playgroundCatalog(deps, caller),
    runPlaygroundRecord: (caller: Caller, run: RecordRun) => runRecordWithDiff(deps, caller, run),
    runPlaygroundInbound: (caller: Caller, run: InboundRun) => runInbound(deps, caller, run),
    playgroundSource: (caller: Caller, file: string) => playgroundSource(deps, caller, file),
    openPlaygroundDeadLetter: (caller: Caller, id: string) => openDeadLetter(deps, caller, id),
    savePlaygroundGolden: (caller: Caller, g: SaveGolden) => saveGolden(deps, caller, g),
    /** Before an API process listens: the mapping examples through the pipeline (src/service/warm-up.ts). */
    warmUp: (opts: WarmUpOptions) => warmUp(deps, opts),
  });
}

/** The service as the adapters see it. */
export type Navbridge = ReturnType<typeof createNavbridge>;
