// What the playground shows of one traced record: issues placed at their FHIRPath and at the mapping
// file, line and field that produced them; the triage; and the routing decision with the payload each
// partner would get in its mode — computed by the same routing and payload code the service runs.
import type { Bundle, OperationOutcomeIssue } from 'fhir/r4.js';
import { locateDiagnostic, type MappingPosition } from '../config/mapping-positions.js';
import { hasErrors } from '../errors/index.js';
import type { ExpressionOrigin } from '../mapping/index.js';
import type { Referral } from '../records/index.js';
import { type RouteDecision, type RoutingReferral, routeBundle } from '../routing/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import type { TriageDecision } from '../triage/index.js';
import type { RecordTrace } from './record-pipeline.js';
import { payloadFor } from './submission.js';

export interface PlaygroundIssue {
  severity: OperationOutcomeIssue['severity'];
  code: string;
  diagnostics: string;
  /** The FHIRPath in the produced Bundle (validation) or the path in the record or mapping file. */
  expression?: string;
  /** The mapping file, line and field that produced the issue, when one did. */
  location?: MappingPosition;
}

export interface PlaygroundRoute {
  partnerId: string | null;
  decision: RouteDecision;
  /** Names categories, roles, consent flags and partner ids only. */
  reason: string;
  roles: string[];
  categories: string[];
  /** `ResourceType/id` of what this route carries (or withholds). */
  resources: string[];
  mode?: string;
  /** The Bundle the partner would be sent, in its delivery mode (sent routes only). */
  payload?: Bundle;
}

export type PlaygroundStatus = 'valid' | 'invalid' | 'rejected' | 'mapping-failed';

export interface PlaygroundRowResult {
  row?: number;
  status: PlaygroundStatus;
  bundle?: Bundle;
  issues: PlaygroundIssue[];
  triage?: TriageDecision;
  /** Only for output that validates: the service routes nothing else. */
  routes?: PlaygroundRoute[];
}

const ROW_PREFIX = /^row \d+: /;
const ENTRY = /^Bundle\.entry\[(\d+)\]/;

/** One issue, placed: validation issues through the entry's origin, others through their diagnostics. */
export function placeIssue(
  mappingsDir: string,
  i: OperationOutcomeIssue,
  origins: readonly ExpressionOrigin[] = [],
): PlaygroundIssue {
  const expression = i.expression?.[0];
  const diagnostics = i.diagnostics ?? i.code;
  const entry = ENTRY.exec(expression ?? '');
  const origin = entry ? origins[Number(entry[1])] : undefined;
  const location = origin
    ? locateDiagnostic(mappingsDir, `${origin.file} ${origin.field}:`)
    : locateDiagnostic(mappingsDir, diagnostics.replace(ROW_PREFIX, ''));
  return {
    severity: i.severity,
    code: i.code,
    diagnostics,
    ...(expression ? { expression } : {}),
    ...(location ? { location } : {}),
  };
}

export const placeIssues = (mappingsDir: string, issues: readonly OperationOutcomeIssue[]) =>
  issues.map((i) => placeIssue(mappingsDir, i));

/**
 * Routing as the service does it. A referral routes by itself; another record by the referral the
 * context names (its `sharing` and requester), since the playground has no stored referral.
 */
function routesOf(
  t: Extract<RecordTrace, { kind: 'mapped' }>,
  partners: readonly PartnerConfig[],
  referral: RoutingReferral | undefined,
  now: string,
): PlaygroundRoute[] {
  const routes = routeBundle({
    recordType: t.recordType,
    record: t.record,
    bundle: t.trace.bundle,
    referral: t.recordType === 'referral' ? (t.record as Referral) : referral,
    partners,
  });
  return routes.map((r) => {
    const partner = r.partnerId ? partners.find((p) => p.id === r.partnerId) : undefined;
    return {
      partnerId: r.partnerId,
      decision: r.decision,
      reason: r.reason,
      roles: r.roles,
      categories: r.categories,
      resources: r.resources.map((x) => `${x.resourceType}/${x.id}`),
      ...(partner ? { mode: partner.mode } : {}),
      ...(partner && r.decision === 'send' ? { payload: payloadFor(partner, r.resources, t, now) } : {}),
    };
  });
}

export interface ReportOptions {
  mappingsDir: string;
  partners: readonly PartnerConfig[];
  referral?: RoutingReferral;
  now: string;
}

export function reportRow(t: RecordTrace, opts: ReportOptions): PlaygroundRowResult {
  const row = t.row ? { row: t.row } : {};
  if (t.kind === 'rejected')
    return { ...row, status: 'rejected', issues: placeIssues(opts.mappingsDir, t.outcome.issue) };
  if (t.kind === 'failed')
    return { ...row, status: 'mapping-failed', issues: placeIssues(opts.mappingsDir, t.outcome.issue) };
  const { trace } = t;
  const valid = !hasErrors(trace.issues);
  return {
    ...row,
    status: valid ? 'valid' : 'invalid',
    bundle: trace.bundle,
    issues: [
      ...placeIssues(opts.mappingsDir, t.recordIssues),
      ...trace.issues.map((i) => placeIssue(opts.mappingsDir, i, trace.origins)),
    ],
    ...(trace.triage ? { triage: trace.triage } : {}),
    ...(valid ? { routes: routesOf(t, opts.partners, opts.referral, opts.now) } : {}),
  };
}
