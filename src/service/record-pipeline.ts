// One record read from a file through the one mapping path (src/mapping/pipeline.ts): site →
// structural check → context (from a context file) → triage → mapping → validation. Shared by
// `navbridge map`, `navbridge mappings test` and the playground, so goldens test exactly what users
// and the service run.
import type { Bundle, OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import type { MappingSet } from '../config/startup.js';
import { hasErrors, isNavbridgeError, issue, outcome } from '../errors/index.js';
import { UsageError, usageDetail } from '../errors/usage.js';
import type { Validator } from '../fhir/validate.js';
import {
  type ContextFile,
  defaultContext,
  type MappingContext,
  mappingContextSchema,
  type PipelineTrace,
  traceMappingPipeline,
} from '../mapping/index.js';
import {
  checkRecord,
  fillSite,
  parseCsvRecords,
  type RecordOf,
  type RecordType,
  siteToolProblem,
} from '../records/index.js';
import type { SiteSettings } from '../settings/site.js';

/** The mapping time of goldens whose context file gives none. */
export const GOLDEN_NOW = '2026-03-02T09:00:00Z';

/** One record read from an input file, not yet checked. */
export interface RawInput {
  /** CSV line (header = 1) or JSON array index + 1; absent for a single JSON record. */
  row?: number;
  input?: unknown;
  issues: OperationOutcomeIssue[];
}

export type RecordResult =
  | { kind: 'bundle'; row?: number; bundle: Bundle; warnings: OperationOutcomeIssue[] }
  /** Structural rejection of the record: nothing is produced. */
  | { kind: 'rejected'; row?: number; outcome: OperationOutcome }
  /** The mapping failed or produced FHIR that does not validate: a mapping bug. */
  | { kind: 'failed'; row?: number; outcome: OperationOutcome };

/** A record taken as far as the pipeline goes, keeping output that does not validate. */
export type RecordTrace =
  | Exclude<RecordResult, { kind: 'bundle' }>
  | {
      kind: 'mapped';
      row?: number;
      recordType: RecordType;
      record: RecordOf[RecordType];
      site: SiteSettings;
      /** The structural check's warnings (record paths). */
      recordIssues: OperationOutcomeIssue[];
      trace: PipelineTrace;
    };

/** What `map` prints for a result: a Bundle or an OperationOutcome. */
export const printable = (result: RecordResult): unknown =>
  result.kind === 'bundle' ? result.bundle : result.outcome;

export const formatJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Parses an input file's text: a JSON record, a JSON array of records, or CSV (referral and event). */
export function readInputs(recordType: RecordType, fileName: string, text: string): RawInput[] {
  if (/\.csv$/i.test(fileName)) {
    if (recordType !== 'referral' && recordType !== 'event') {
      throw new UsageError(`CSV input is only for referral and event records, not ${recordType}`);
    }
    return parseCsvRecords(recordType, text).map((r) => ({ row: r.row, input: r.input, issues: r.issues }));
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // JSON.parse messages quote a few characters of the file, which may be patient data.
    const pos = /position (\d+)/.exec(String((err as Error).message))?.[1];
    throw new UsageError(`${fileName} is not valid JSON${pos ? ` (at position ${pos})` : ''}`);
  }
  if (Array.isArray(data)) return data.map((input, i) => ({ row: i + 1, input, issues: [] }));
  return [{ input: data, issues: [] }];
}

export interface PipelineOptions {
  /** Site settings and compiled mappings (loaded on first use). */
  mappings: MappingSet;
  /** The mapping time (ISO instant): `--now`, the context file's `now`, or the clock. */
  now: string;
  /** `--site`: fills the record's `site` where absent. */
  site?: string;
  /** Context fields from `--context file.json` or a golden's `<name>.context.json`. */
  context?: Omit<ContextFile, 'now'>;
  validator?: Validator;
}

const rowPrefix = (row: number | undefined, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  row === undefined
    ? issues
    : issues.map((i) => ({ ...i, diagnostics: `row ${row}: ${i.diagnostics ?? i.code}` }));

/** Maps records read from files. */
export class Pipeline {
  constructor(private readonly opts: PipelineOptions) {}

  private site(id: string): SiteSettings {
    const s = this.opts.mappings.tryGetSite(id);
    if (!s) throw new UsageError(`unknown site '${id}'`);
    return s;
  }

  private buildContext<T extends RecordType>(
    recordType: T,
    record: RecordOf[T],
    site: SiteSettings,
  ): MappingContext {
    const base = defaultContext(recordType, record, site, this.opts.now);
    const merged: Record<string, unknown> = { ...base, ...this.opts.context, now: this.opts.now, site };
    const parsed = mappingContextSchema.safeParse(merged);
    if (!parsed.success) {
      throw new UsageError('the mapping context is not valid', usageDetail(parsed.error));
    }
    return parsed.data;
  }

  /** Checks and maps one record; output that does not validate is kept with its issues. */
  async trace(recordType: RecordType, raw: RawInput): Promise<RecordTrace> {
    const { row } = raw;
    const rejected = (issues: OperationOutcomeIssue[]): RecordTrace => ({
      kind: 'rejected',
      ...(row ? { row } : {}),
      outcome: outcome(rowPrefix(row, issues)),
    });
    if (raw.input === undefined || hasErrors(raw.issues)) return rejected(raw.issues);
    const input = fillSite(raw.input, this.opts.site);
    const siteId = (input as { site?: unknown } | null)?.site;
    const now = new Date(this.opts.now);
    let settings: SiteSettings;
    if (typeof siteId === 'string') {
      try {
        settings = this.site(siteId);
      } catch (err) {
        // A malformed or unknown site: report it as a structural problem when the record is also invalid.
        const check = checkRecord(recordType, input, { now, nhsNumberCheck: 'error' });
        if (!check.record) return rejected(check.issues);
        throw err;
      }
    } else {
      const check = checkRecord(recordType, input, { now, nhsNumberCheck: 'error' });
      const onlySite = check.issues.every((i) => i.expression?.[0] === 'site');
      if (!check.record && !onlySite) return rejected(check.issues);
      throw new UsageError(
        `${row ? `row ${row}: ` : ''}the record has no site: give --site <site> or set "site" in the record`,
      );
    }
    const check = checkRecord(recordType, input, {
      now,
      nhsNumberCheck: settings.nhsNumberCheck.navigator,
      testNumbers: settings.nhsNumberCheck.testNumbers,
    });
    if (!check.record) return rejected(check.issues);
    const wrongTool = siteToolProblem(recordType, check.record, settings.assessmentTool);
    if (wrongTool) {
      const at = { code: 'business-rule', diagnostics: wrongTool, expression: 'tool' } as const;
      return rejected([issue({ ...at, errorCode: 'REC_UNPROCESSABLE_ENTITY' })]);
    }
    const record = check.record;
    try {
      const trace = await traceMappingPipeline(
        {
          mapping: (t, s) => this.opts.mappings.mapping(t, s).compiled,
          ...(this.opts.validator ? { validator: this.opts.validator } : {}),
        },
        { recordType, record, site: settings, context: this.buildContext(recordType, record, settings) },
      );
      return {
        kind: 'mapped',
        ...(row ? { row } : {}),
        recordType,
        record,
        site: settings,
        recordIssues: check.issues,
        trace,
      };
    } catch (err) {
      if (isNavbridgeError(err) && err.code === 'MAPPING_ERROR')
        return {
          kind: 'failed',
          ...(row ? { row } : {}),
          outcome: outcome(rowPrefix(row, err.outcome.issue)),
        };
      throw err;
    }
  }

  /** Maps one record: a Bundle, a structural rejection, or a mapping failure (invalid output included). */
  async run(recordType: RecordType, raw: RawInput): Promise<RecordResult> {
    return resultOf(await this.trace(recordType, raw));
  }
}

/** A trace as `map` and `mappings test` see it: output that does not validate is a mapping failure. */
export function resultOf(t: RecordTrace): RecordResult {
  if (t.kind !== 'mapped') return t;
  const { row, trace } = t;
  if (hasErrors(trace.issues))
    return { kind: 'failed', ...(row ? { row } : {}), outcome: outcome(rowPrefix(row, trace.issues)) };
  return {
    kind: 'bundle',
    ...(row ? { row } : {}),
    bundle: trace.bundle,
    warnings: rowPrefix(row, [...t.recordIssues, ...trace.issues]),
  };
}
