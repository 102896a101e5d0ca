// The one mapping path (pure), used alike by `navbridge map`, the golden examples and the service:
// triage (referrals) → map → discharge completion → validate. The caller builds the context (from a
// context file, or from the store) and passes in the compiled mappings and the validator.
import type { Bundle, OperationOutcomeIssue, Resource } from 'fhir/r4.js';
import { hasErrors, mappingError } from '../errors/index.js';
import type { Validator } from '../fhir/validate.js';
import type { RecordOf, RecordType } from '../records/index.js';
import type { SiteSettings } from '../settings/site.js';
import { type TriageDecision, triageReferral } from '../triage/index.js';
import type { CompiledMapping } from './compile.js';
import type { MappingContext } from './context.js';
import { type MappedBundle, mapRecordTraced, type ResourceIdentity } from './engine.js';
import type { ExpressionOrigin } from './sandbox.js';

export interface PipelineDeps {
  /** The compiled mapping of a record type at a site (base + site override + code tables). */
  mapping(recordType: RecordType, siteId: string): CompiledMapping;
  /** Validates the output; without it nothing is validated (`map --skip-validation`). */
  validator?: Validator;
}

export interface PipelineInput<T extends RecordType> {
  recordType: T;
  record: RecordOf[T];
  site: SiteSettings;
  /** Built by the caller; a referral's triage is added here unless the context already gives one. */
  context: MappingContext;
}

export interface PipelineResult {
  bundle: Bundle;
  /** What the record's own entries' ids were made from (an entered-in-error retracts exactly these). */
  identities: ResourceIdentity[];
  /** The mapping expression that produced each entry. */
  origins: ExpressionOrigin[];
  triage?: TriageDecision;
  /** Validation warnings (errors throw MAPPING_ERROR), annotated with their producing expression. */
  warnings: OperationOutcomeIssue[];
}

/** Points validation issues at the mapping expression that produced the entry. */
function annotate(issues: OperationOutcomeIssue[], origins: ExpressionOrigin[]): OperationOutcomeIssue[] {
  return issues.map((i) => {
    const m = /^Bundle\.entry\[(\d+)\]/.exec(i.expression?.[0] ?? '');
    const origin = m ? origins[Number(m[1])] : undefined;
    return origin
      ? { ...i, diagnostics: `${i.diagnostics ?? i.code} (produced by ${origin.file} ${origin.field})` }
      : i;
  });
}

/**
 * A discharge completes the support plan. The event mapping emits a minimal CarePlan; a partner that
 * replaces the whole resource would lose the plan's goals and activities, so the full plan is re-mapped
 * from the latest plan record with status completed and put in its place.
 */
async function completeDischarge<T extends RecordType>(
  deps: PipelineDeps,
  input: PipelineInput<T>,
  mapped: MappedBundle,
): Promise<MappedBundle> {
  const { context } = input;
  const latestPlan = context.latestPlan;
  const isDischarge =
    input.recordType === 'event' && (input.record as RecordOf['event']).type === 'discharged';
  if (!isDischarge || !latestPlan) return mapped;
  const plan = { ...latestPlan, status: 'completed' } as RecordOf['support-plan'];
  const { latestPlan: _l, target: _t, previousPlan: _p, ...planContext } = context;
  const planBundle = await mapRecordTraced(deps.mapping('support-plan', input.site.id), plan, planContext);
  const planEntries = planBundle.bundle.entry ?? [];
  const fullIndex = planEntries.findIndex((e) => e.resource?.resourceType === 'CarePlan');
  const full = planEntries[fullIndex]?.resource;
  if (!full) return mapped;
  const present = new Set((mapped.bundle.entry ?? []).map((e) => e.fullUrl));
  // The full CarePlan references its Goals and onward referrals: they travel with it. The onward
  // Tasks do not: once sent, the service referred on to moves them on (Gravity), and a discharge of
  // the referral is no reason to request them again.
  const extra: number[] = [];
  planEntries.forEach((e, i) => {
    const type = e.resource?.resourceType;
    if (type !== 'CarePlan' && type !== 'Task' && !present.has(e.fullUrl)) extra.push(i);
  });
  const origins = [...mapped.origins];
  const entry = (mapped.bundle.entry ?? []).map((e, i) => {
    if (e.resource?.resourceType !== 'CarePlan' || e.resource.id !== full.id) return e;
    origins[i] = planBundle.origins[fullIndex] ?? origins[i]!;
    return { ...e, resource: full as Resource };
  });
  return {
    bundle: { ...mapped.bundle, entry: [...entry, ...extra.map((i) => planEntries[i]!)] },
    origins: [...origins, ...extra.map((i) => planBundle.origins[i]!)],
    // The event owns only its own resources: retracting a discharge must not retract the plan.
    identities: mapped.identities,
  };
}

export interface PipelineTrace extends Omit<PipelineResult, 'warnings'> {
  /** Every validation issue, errors included, annotated with its producing expression. */
  issues: OperationOutcomeIssue[];
}

/**
 * The pipeline up to and including validation, keeping output that does not validate (the playground
 * shows it beside its issues). A mapping that cannot produce a Bundle still throws MAPPING_ERROR.
 */
export async function traceMappingPipeline<T extends RecordType>(
  deps: PipelineDeps,
  input: PipelineInput<T>,
): Promise<PipelineTrace> {
  let context = input.context;
  let triage = context.triage;
  if (input.recordType === 'referral' && triage === undefined) {
    triage = triageReferral(input.record as RecordOf['referral'], input.site);
    context = { ...context, triage };
  }
  const compiled = deps.mapping(input.recordType, input.site.id);
  const mapped = await mapRecordTraced(compiled, input.record, context);
  const completed = await completeDischarge(deps, { ...input, context }, mapped);
  const issues = deps.validator
    ? annotate(deps.validator.validateBundle(completed.bundle), completed.origins)
    : [];
  return {
    bundle: completed.bundle,
    identities: completed.identities,
    origins: completed.origins,
    ...(input.recordType === 'referral' && triage ? { triage } : {}),
    issues,
  };
}

/** The pipeline as the service and the CLI run it: output that does not validate throws MAPPING_ERROR. */
export async function runMappingPipeline<T extends RecordType>(
  deps: PipelineDeps,
  input: PipelineInput<T>,
): Promise<PipelineResult> {
  const { issues, ...result } = await traceMappingPipeline(deps, input);
  if (hasErrors(issues)) throw mappingError(issues);
  return { ...result, warnings: issues };
}
