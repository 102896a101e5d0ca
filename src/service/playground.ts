// The mapping playground (README "Playground"), for the admin: a pasted record or inbound message is
// mapped with the mappings folder as it is on disk now (re-read on every run, so an edit shows at once)
// through the record pipeline of `navbridge map` and `mappings test`, and the playground shows issues,
// triage, routes and payloads; a dead letter opens with its stored record (audited). Off unless
// enabled in the configuration: every use case then answers 404.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { listInboundMappings } from '../config/inbound-mappings.js';
import { readMappingSource } from '../config/mapping-positions.js';
import { findGoldenExamples, listRecordTypes, listSites } from '../config/mappings.js';
import { lazyMappingSet } from '../config/startup.js';
import {
  badRequest,
  conflict,
  isNavbridgeError,
  notFound,
  unprocessable,
  zodIssues,
} from '../errors/index.js';
import { UsageError } from '../errors/usage.js';
import { kindOf, mapInbound, readInbound } from '../intake/index.js';
import { type ContextFile, contextFileSchema } from '../mapping/index.js';
import type { RecordOf, RecordType } from '../records/index.js';
import type { RoutingReferral } from '../routing/index.js';
import { getRecord } from '../store/records.js';
import { authorize } from './authorize.js';
import { contextFromStore } from './context.js';
import { getExchangeAudited } from './dead-letters.js';
import {
  type PlaygroundIssue,
  type PlaygroundRowResult,
  placeIssues,
  reportRow,
} from './playground-report.js';
import { GOLDEN_NOW, Pipeline, type RawInput, type RecordTrace, readInputs } from './record-pipeline.js';
import type { Caller, ServiceDeps } from './types.js';

export interface PlaygroundSettings {
  /** The mappings folder the playground reads and writes goldens into. */
  mappingsDir: string;
}

export type PlaygroundDeps = ServiceDeps & { playground?: PlaygroundSettings | undefined };

/** A navigator record as pasted: JSON (one record or an array) or CSV (a header and rows). */
export interface RecordRun {
  recordType: RecordType;
  format: 'json' | 'csv';
  text: string;
  /** Fills the record's `site` where absent (as `map --site`). */
  site?: string;
  /** The mapping time (default: the golden clock, GOLDEN_NOW). */
  now?: string;
  /** Context fields, as in a golden's `<name>.context.json`. */
  context?: Record<string, unknown>;
  /** A golden example's label to diff the output against. */
  golden?: string;
}

export interface InboundRun {
  /** The inverse mapping's name (`mappings/inbound/<name>/`). */
  mapping: string;
  text: string;
  /** The partner the message comes from (default: a trust with no ODS codes). */
  partner?: string;
  now?: string;
}

export interface RecordRunResult {
  results: PlaygroundRowResult[];
  diff?: { golden: string; differences: string[] };
}

export interface InboundRunResult {
  status: 'valid' | 'rejected' | 'mapping-failed';
  /** The navigator referral record the inverse mapping produced (try it as a record next). */
  record?: Record<string, unknown>;
  action?: string;
  referralId?: string;
  performer?: string[];
  issues: PlaygroundIssue[];
}

/** The playground's settings once the caller may use it; 404 when it is off. */
export async function admitPlayground(deps: PlaygroundDeps, caller: Caller): Promise<PlaygroundSettings> {
  if (!deps.playground) throw notFound('route');
  await authorize(deps, caller, { action: 'administer' });
  return deps.playground;
}

/** Loading problems (a broken mapping file) are the playground's result, not an error. */
export const isMappingLoadError = (err: unknown): err is { outcome: { issue: OperationOutcomeIssue[] } } =>
  isNavbridgeError(err) && (err.code === 'CONFIG_ERROR' || err.code === 'MAPPING_ERROR');

const usage = (err: UsageError) =>
  badRequest([err.message, ...err.detail].join('; '), { code: 'structure', expression: 'text' });

export interface TracedRecords {
  traces: RecordTrace[];
  inputs: RawInput[];
  now: string;
  context: Omit<ContextFile, 'now'>;
}

/** Reads and traces the pasted records with the mappings folder as it is now. */
export async function traceRecords(
  deps: PlaygroundDeps,
  settings: PlaygroundSettings,
  run: RecordRun,
): Promise<TracedRecords> {
  const parsed = contextFileSchema.safeParse(run.context ?? {});
  if (!parsed.success)
    throw badRequest(zodIssues(parsed.error.issues, { errorCode: 'REC_BAD_REQUEST', root: ['context'] }));
  const { now: contextNow, ...context } = parsed.data;
  const now = run.now ?? contextNow ?? GOLDEN_NOW;
  try {
    const inputs = readInputs(run.recordType, run.format === 'csv' ? 'input.csv' : 'input.json', run.text);
    const pipeline = new Pipeline({
      mappings: lazyMappingSet(settings.mappingsDir),
      now,
      ...(run.site ? { site: run.site } : {}),
      context,
      validator: deps.validator,
    });
    const traces: RecordTrace[] = [];
    for (const raw of inputs) traces.push(await pipeline.trace(run.recordType, raw));
    return { traces, inputs, now, context };
  } catch (err) {
    if (err instanceof UsageError) throw usage(err);
    throw err;
  }
}

/** Routing of a non-referral record reads the referral the context names (sharing, requester). */
function routingReferral(context: Omit<ContextFile, 'now'>): RoutingReferral | undefined {
  const r = context.referral;
  if (!r) return undefined;
  return {
    ...(r.sharing ? { sharing: r.sharing } : {}),
    ...(r.requester?.odsCode ? { referrer: { odsCode: r.requester.odsCode } } : {}),
  };
}

export async function runRecord(
  deps: PlaygroundDeps,
  caller: Caller,
  run: RecordRun,
  diff?: (traced: TracedRecords) => RecordRunResult['diff'],
): Promise<RecordRunResult> {
  const settings = await admitPlayground(deps, caller);
  let traced: TracedRecords;
  try {
    traced = await traceRecords(deps, settings, run);
  } catch (err) {
    if (!isMappingLoadError(err)) throw err;
    return {
      results: [{ status: 'mapping-failed', issues: placeIssues(settings.mappingsDir, err.outcome.issue) }],
    };
  }
  const referral = routingReferral(traced.context);
  const opts = {
    mappingsDir: settings.mappingsDir,
    partners: deps.partners,
    now: traced.now,
    ...(referral ? { referral } : {}),
  };
  const d = diff?.(traced);
  return { results: traced.traces.map((t) => reportRow(t, opts)), ...(d ? { diff: d } : {}) };
}

export async function runInbound(
  deps: PlaygroundDeps,
  caller: Caller,
  run: InboundRun,
): Promise<InboundRunResult> {
  const settings = await admitPlayground(deps, caller);
  let body: unknown;
  try {
    body = JSON.parse(run.text);
  } catch {
    throw badRequest('the message is not valid JSON', { code: 'structure', expression: 'text' });
  }
  const p = run.partner ? deps.partners.find((x) => x.id === run.partner) : undefined;
  if (run.partner && !p) throw badRequest('partner: not a configured partner', { expression: 'partner' });
  const partner = p
    ? { id: p.id, name: p.name, kind: p.kind, odsCodes: p.odsCodes }
    : { id: 'playground', name: 'Playground trust', kind: 'trust', odsCodes: [] };
  try {
    const mapping = lazyMappingSet(settings.mappingsDir).tryGetInbound(run.mapping);
    if (!mapping) throw notFound('inbound mapping');
    const read = readInbound(kindOf(body), body);
    const mapped = await mapInbound(mapping, read, partner, run.now ?? GOLDEN_NOW);
    return {
      status: 'valid',
      record: mapped.record,
      action: mapped.action,
      referralId: mapped.referralId,
      performer: mapped.performer,
      issues: placeIssues(settings.mappingsDir, mapped.notes),
    };
  } catch (err) {
    if (!isNavbridgeError(err) || err.status >= 500 || err.code === 'REC_NOT_FOUND') throw err;
    return {
      status: isMappingLoadError(err) ? 'mapping-failed' : 'rejected',
      issues: placeIssues(settings.mappingsDir, err.outcome.issue),
    };
  }
}

/** What the page offers: sites, record types, inbound mappings, partners and golden examples. */
export async function playgroundCatalog(deps: PlaygroundDeps, caller: Caller) {
  const { mappingsDir } = await admitPlayground(deps, caller);
  return {
    goldenNow: GOLDEN_NOW,
    sites: listSites(mappingsDir),
    recordTypes: listRecordTypes(mappingsDir),
    inbound: listInboundMappings(mappingsDir),
    partners: deps.partners.map((p) => ({ id: p.id, kind: p.kind, mode: p.mode })),
    goldens: findGoldenExamples(mappingsDir).map((g) => ({
      label: g.label,
      recordType: g.recordType,
      format: g.format,
      ...(g.site ? { site: g.site } : {}),
    })),
  };
}

/** A mapping file's text, for the page's source view (files inside the mappings folder only). */
export async function playgroundSource(deps: PlaygroundDeps, caller: Caller, file: string) {
  const { mappingsDir } = await admitPlayground(deps, caller);
  const text = readMappingSource(mappingsDir, file);
  if (text === undefined) throw notFound('mapping file');
  return { file, text };
}

/**
 * The context the service maps the record with (the referral's identity and state, previous and latest
 * plan, retraction target) as a context file holds it; none when the store cannot build one.
 */
async function storedContext(
  deps: PlaygroundDeps,
  recordType: RecordType,
  record: RecordOf[RecordType],
  siteId: string,
): Promise<Omit<ContextFile, 'now'> | undefined> {
  const site = deps.mappings.tryGetSite(siteId);
  if (!site) return undefined;
  try {
    const { context } = await contextFromStore(deps.db, recordType, record, site, deps.now().toISOString());
    const { site: _site, now: _now, ...rest } = context;
    return rest;
  } catch (err) {
    if (isNavbridgeError(err) && err.status < 500) return undefined;
    throw err;
  }
}

/** A dead letter's stored record, to map it again in the playground: an audited view of patient data. */
export async function openDeadLetter(deps: PlaygroundDeps, caller: Caller, id: string) {
  await admitPlayground(deps, caller);
  const x = await getExchangeAudited(deps, caller, id, 'playground-open');
  if (x?.direction !== 'outbound') throw notFound('exchange');
  if (x.status !== 'dead') throw conflict(`exchange ${id} is ${x.status}, not dead`, { expression: 'id' });
  const stored = await getRecord(deps.db, x.site, x.recordType, x.sourceId, x.version);
  if (!stored) throw unprocessable('the record of this exchange is not stored');
  const recordType = x.recordType as RecordType;
  return {
    context: await storedContext(deps, recordType, stored.payload as RecordOf[RecordType], x.site),
    exchangeId: x.id,
    partnerId: x.partnerId,
    site: x.site,
    recordType,
    reason: x.statusReason,
    text: `${JSON.stringify(stored.payload, null, 2)}\n`,
  };
}
