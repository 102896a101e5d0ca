// One record through the whole path: site → structural check → triage (referral) → context → mapping →
// validation. Shared by `navbridge map` and `navbridge mappings test`, so goldens test what users run.
import type { Bundle, OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import { loadMapping, loadSiteSettings } from '../config/mappings.js';
import type { SiteSettings } from '../settings/site.js';
import { hasErrors, isNavbridgeError, outcome } from '../errors/index.js';
import type { Validator } from '../fhir/validate.js';
import {
  type CompiledMapping,
  type ContextFile,
  defaultContext,
  type ExpressionOrigin,
  type MappableRecord,
  type RecordType,
  type MappingContext,
  mappingContextSchema,
  mapRecordTraced,
} from '../mapping/index.js';
import { checkRecord, fillSite, parseCsvRecords, type Referral } from '../records/index.js';
import { triageReferral } from '../triage/index.js';
import { UsageError } from './io.js';

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
  mappingsDir: string;
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

/** Maps records with per-site caches of settings and compiled mappings. */
export class Pipeline {
  private readonly sites = new Map<string, SiteSettings>();
  private readonly mappings = new Map<string, CompiledMapping>();

  constructor(private readonly opts: PipelineOptions) {}

  site(id: string): SiteSettings {
    let s = this.sites.get(id);
    if (!s) {
      s = loadSiteSettings(this.opts.mappingsDir, id);
      this.sites.set(id, s);
    }
    return s;
  }

  mapping(recordType: RecordType, siteId: string): CompiledMapping {
    const key = `${recordType}\u0000${siteId}`;
    let m = this.mappings.get(key);
    if (!m) {
      m = loadMapping(this.opts.mappingsDir, recordType, siteId);
      this.mappings.set(key, m);
    }
    return m;
  }

  private buildContext(
    recordType: RecordType,
    record: MappableRecord,
    site: SiteSettings,
  ): MappingContext {
    const base = defaultContext(recordType, record, site, this.opts.now);
    const merged: Record<string, unknown> = { ...base, ...this.opts.context, now: this.opts.now, site };
    if (recordType === 'referral' && merged.triage === undefined) {
      merged.triage = triageReferral(record as unknown as Referral, site);
    }
    const parsed = mappingContextSchema.safeParse(merged);
    if (!parsed.success) {
      throw new UsageError(
        'the mapping context is not valid',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      );
    }
    return parsed.data;
  }

  async run(recordType: RecordType, raw: RawInput): Promise<RecordResult> {
    const { row } = raw;
    if (raw.input === undefined || hasErrors(raw.issues)) {
      return { kind: 'rejected', ...(row ? { row } : {}), outcome: outcome(rowPrefix(row, raw.issues)) };
    }
    const input = fillSite(raw.input, this.opts.site);
    const siteId = (input as { site?: unknown } | null)?.site;
    const now = new Date(this.opts.now);
    let settings: SiteSettings | undefined;
    if (typeof siteId === 'string') {
      try {
        settings = this.site(siteId);
      } catch (err) {
        // A malformed or unknown site: report it as a structural problem when the record is also invalid.
        const check = checkRecord(recordType, input, { now, nhsNumberCheck: 'error' });
        if (!check.record)
          return {
            kind: 'rejected',
            ...(row ? { row } : {}),
            outcome: outcome(rowPrefix(row, check.issues)),
          };
        throw err;
      }
    } else {
      const check = checkRecord(recordType, input, { now, nhsNumberCheck: 'error' });
      const onlySite = check.issues.every((i) => i.expression?.[0] === 'site');
      if (!check.record && !onlySite) {
        return { kind: 'rejected', ...(row ? { row } : {}), outcome: outcome(rowPrefix(row, check.issues)) };
      }
      throw new UsageError(
        `${row ? `row ${row}: ` : ''}the record has no site: give --site <site> or set "site" in the record`,
      );
    }
    const check = checkRecord(recordType, input, { now, nhsNumberCheck: settings.nhsNumberCheck.navigator });
    if (!check.record)
      return { kind: 'rejected', ...(row ? { row } : {}), outcome: outcome(rowPrefix(row, check.issues)) };
    const record = check.record as unknown as MappableRecord;
    const context = this.buildContext(recordType, record, settings);
    try {
      const { bundle, origins } = await mapRecordTraced(
        this.mapping(recordType, settings.id),
        record,
        context,
      );
      const problems = this.opts.validator
        ? annotate(this.opts.validator.validateBundle(bundle), origins)
        : [];
      if (hasErrors(problems))
        return { kind: 'failed', ...(row ? { row } : {}), outcome: outcome(rowPrefix(row, problems)) };
      return {
        kind: 'bundle',
        ...(row ? { row } : {}),
        bundle,
        warnings: rowPrefix(row, [...check.issues, ...problems]),
      };
    } catch (err) {
      if (isNavbridgeError(err) && err.code === 'MAPPING_ERROR') {
        return {
          kind: 'failed',
          ...(row ? { row } : {}),
          outcome: outcome(rowPrefix(row, err.outcome.issue)),
        };
      }
      throw err;
    }
  }
}
