// Inverse mappings (pure): inbound FHIR → a navbridge referral record, declared in
// mappings/inbound/<name>/mapping.yaml as a few named JSONata parts evaluated in the mapping sandbox
// (same limits and disabled functions as the outbound engine). No ids or meta are built here.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { z } from 'zod';
import { badRequest, configError, issue, mappingError, unprocessable, zodIssues } from '../errors/index.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import {
  type CompiledExpression,
  compileExpression,
  DEFAULT_LIMITS,
  evaluationIssue,
  type SandboxLimits,
} from '../mapping/sandbox.js';
import { londonDateOfInstant } from '../records/dates.js';
import type { InboundEnvelope } from './envelope.js';

const expr = z.string().min(1);
export const inverseMappingSchema = z
  .object({
    direction: z.literal('inbound'),
    recordType: z.literal('referral'),
    description: z.string().min(1),
    /** Source code → navbridge code, per table (`$table('need-domain', code)`). */
    tables: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    /** Declarative request checks: `when` true means the problem is present. */
    checks: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9-]+$/),
            errorCode: z.enum(['REC_BAD_REQUEST', 'REC_UNPROCESSABLE_ENTITY']),
            when: expr,
            diagnostics: z.string().min(1),
            expression: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
    /** The referrer's identity of the referral: {system, value}. The same identity is the same referral. */
    identity: expr,
    /** new | update | withdraw | retract. */
    action: expr,
    /** ODS codes (or site ids) naming the performing service, for the site. */
    performer: expr,
    /** The referral record without id, site, version and receivedAt. */
    record: expr,
  })
  .strict();

type Part = 'identity' | 'action' | 'performer' | 'record';
const PARTS: Part[] = ['identity', 'action', 'performer', 'record'];

export interface CompiledInverseMapping {
  name: string;
  file: string;
  tables: Record<string, Record<string, string>>;
  checks: {
    id: string;
    errorCode: 'REC_BAD_REQUEST' | 'REC_UNPROCESSABLE_ENTITY';
    when: CompiledExpression;
    diagnostics: string;
    expression: string;
  }[];
  parts: Record<Part, CompiledExpression>;
}

/** Compiles a parsed mapping file; every problem at once (CONFIG_ERROR naming file and field). */
export function compileInverseMapping(
  name: string,
  source: { file: string; data: unknown },
  limits: SandboxLimits = DEFAULT_LIMITS,
): CompiledInverseMapping {
  const parsed = inverseMappingSchema.safeParse(source.data);
  if (!parsed.success) {
    throw configError(zodIssues(parsed.error.issues, { errorCode: 'CONFIG_ERROR', file: source.file }));
  }
  const m = parsed.data;
  const problems: OperationOutcomeIssue[] = [];
  const compile = (source0: string, field: string): CompiledExpression => {
    const c = compileExpression(source0, { file: source.file, field }, limits);
    if ('evaluate' in c) return c;
    problems.push(c);
    return undefined as unknown as CompiledExpression;
  };
  const parts = Object.fromEntries(PARTS.map((p) => [p, compile(m[p], p)])) as Record<
    Part,
    CompiledExpression
  >;
  const checks = m.checks.map((c, i) => ({ ...c, when: compile(c.when, `checks[${c.id ?? i}].when`) }));
  if (problems.length > 0) throw configError(problems);
  return { name, file: source.file, tables: m.tables, checks, parts };
}

export interface InboundPartner {
  id: string;
  name: string;
  kind: string;
  odsCodes: readonly string[];
}

export interface InverseMappingInput {
  envelope: InboundEnvelope;
  partner: InboundPartner;
  /** ISO instant: the time of receipt (the only clock a mapping sees). */
  now: string;
}

export type InboundAction = 'new' | 'update' | 'withdraw' | 'retract';

export interface InboundMapped {
  action: InboundAction;
  identity: { system: string; value: string };
  performer: string[];
  record: Record<string, unknown>;
}

/** Drops undefined, null, '' and {} (JSONata's absent values) but keeps arrays, even empty ones (e.g. supportNeeded). */
export function pruneRecord(value: unknown): unknown {
  if (value === undefined || value === null || value === '' || typeof value === 'function') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) return value.map(pruneRecord).filter((v) => v !== undefined);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = pruneRecord(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}

const NAMED_SYSTEMS: Record<string, string> = {
  ...IDENTIFIER_SYSTEMS,
  'dos-service-id': 'https://fhir.nhs.uk/Id/dos-service-id',
};

/** The names `bindings` gives every inbound expression (test/unit/intake/check.test.ts keeps them equal). */
export const INBOUND_BINDING_NAMES = [
  'sr',
  'srUrl',
  'message',
  'resources',
  'kind',
  'partner',
  'ctx',
  'resolve',
  'table',
  'londonDate',
  'system',
] as const;

export function inboundBindings(
  m: CompiledInverseMapping,
  input: InverseMappingInput,
): Record<string, unknown> {
  const { envelope } = input;
  return {
    sr: envelope.serviceRequest,
    srUrl: envelope.serviceRequestUrl,
    message: envelope.message,
    resources: envelope.resources,
    kind: envelope.kind,
    partner: input.partner,
    ctx: { now: input.now },
    resolve: (ref: unknown) => envelope.resolve(ref),
    // Own entries only: a partner's code `toString` or `__proto__` is not in any table.
    table: (name: string, code: unknown) => {
      const t = Object.hasOwn(m.tables, name) ? m.tables[name] : undefined;
      return typeof code === 'string' && t && Object.hasOwn(t, code) ? t[code] : undefined;
    },
    londonDate: (v: unknown) =>
      typeof v !== 'string' ? undefined : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : londonDateOfInstant(v),
    system: (name: string) => NAMED_SYSTEMS[name],
  };
}

const ACTIONS = new Set<InboundAction>(['new', 'update', 'withdraw', 'retract']);

/**
 * Runs the checks (the first failing ones answer 400 or 422, all reported), then the parts. Evaluation
 * failures are MAPPING_ERROR naming the file and part, never an input value.
 */
export async function runInverseMapping(
  m: CompiledInverseMapping,
  input: InverseMappingInput,
): Promise<InboundMapped> {
  const b = inboundBindings(m, input);
  const body = input.envelope.body;
  const evaluate = async (e: CompiledExpression): Promise<unknown> => {
    try {
      return await e.evaluate(body, b);
    } catch (err) {
      throw mappingError([evaluationIssue(e, err)]);
    }
  };
  const failed: {
    errorCode: 'REC_BAD_REQUEST' | 'REC_UNPROCESSABLE_ENTITY';
    issue: OperationOutcomeIssue;
  }[] = [];
  for (const c of m.checks) {
    if ((await evaluate(c.when)) === true) {
      failed.push({
        errorCode: c.errorCode,
        issue: issue({
          code: c.errorCode === 'REC_BAD_REQUEST' ? 'structure' : 'processing',
          diagnostics: c.diagnostics,
          expression: c.expression,
          errorCode: c.errorCode,
        }),
      });
    }
  }
  if (failed.length > 0) {
    // A structural problem outranks a business one: the answer is 400 when any check says so.
    const issues = failed.map((f) => f.issue);
    throw failed.some((f) => f.errorCode === 'REC_BAD_REQUEST') ? badRequest(issues) : unprocessable(issues);
  }
  const out = (field: string, diagnostics: string) => mappingError(`${m.file} ${field}: ${diagnostics}`);
  const action = await evaluate(m.parts.action);
  if (typeof action !== 'string' || !ACTIONS.has(action as InboundAction))
    throw out('action', 'must give new, update, withdraw or retract');
  const identity = pruneRecord(await evaluate(m.parts.identity)) as
    | { system?: unknown; value?: unknown }
    | undefined;
  if (typeof identity?.system !== 'string' || typeof identity.value !== 'string') {
    throw unprocessable('ServiceRequest: has no identifier, id or fullUrl to know it by', {
      code: 'required',
      expression: 'ServiceRequest.identifier',
    });
  }
  const performerRaw = pruneRecord(await evaluate(m.parts.performer));
  const performer = (
    Array.isArray(performerRaw) ? performerRaw : performerRaw === undefined ? [] : [performerRaw]
  ).filter((p): p is string => typeof p === 'string');
  const record = pruneRecord(await evaluate(m.parts.record));
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw out('record', 'must give an object');
  return {
    action: action as InboundAction,
    identity: { system: identity.system, value: identity.value },
    performer,
    record: record as Record<string, unknown>,
  };
}
