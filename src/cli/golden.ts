// `navbridge mappings test`: maps every golden example and compares it with its expected file.
// Goldens are stable because `now` comes from `<name>.context.json` or the fixed GOLDEN_NOW.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { findGoldenExamples, type GoldenExample } from '../config/mappings.js';
import { lazyMappingSet, type MappingSet } from '../config/startup.js';
import type { Validator } from '../fhir/validate.js';
import { contextFileSchema } from '../mapping/index.js';
import { jsonDiff } from '../service/json-diff.js';
import {
  formatJson,
  GOLDEN_NOW,
  Pipeline,
  printable,
  type RecordResult,
  readInputs,
} from '../service/record-pipeline.js';
import { describeError, UsageError, usageDetail } from './io.js';

export { GOLDEN_NOW } from '../service/record-pipeline.js';

export interface GoldenResult {
  /** Display name, e.g. `mappings/referral/examples/accepted`. */
  label: string;
  /** Set for record goldens (not inbound ones). */
  example?: GoldenExample;
  status: 'passed' | 'failed' | 'updated';
  /** Why it failed: the first differences, or the mapping/validation problem. */
  detail: string[];
}

export { formatJson } from '../service/record-pipeline.js';

function readContext(file: string): ReturnType<typeof contextFileSchema.parse> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
  const parsed = contextFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new UsageError(`${file} is not a valid mapping context`, usageDetail(parsed.error));
  }
  return parsed.data;
}

async function runExample(
  example: GoldenExample,
  mappings: MappingSet,
  validator: Validator | undefined,
  opts: { update: boolean; allowRejection: boolean },
): Promise<GoldenResult> {
  const { now, ...context } = example.context ? readContext(example.context) : {};
  const pipeline = new Pipeline({
    mappings,
    now: now ?? GOLDEN_NOW,
    ...(example.site ? { site: example.site } : {}),
    context,
    ...(validator ? { validator } : {}),
  });
  const inputs = readInputs(example.recordType, example.input, readFileSync(example.input, 'utf8'));
  const results: RecordResult[] = [];
  for (const raw of inputs) results.push(await pipeline.run(example.recordType, raw));
  const failed = results.filter((r) => r.kind === 'failed');
  if (failed.length > 0) {
    const detail = failed.flatMap((r) =>
      r.kind === 'failed' ? r.outcome.issue.map((i) => i.diagnostics ?? i.code) : [],
    );
    return { example, label: example.label, status: 'failed', detail };
  }
  const multi = example.format === 'csv' || inputs.some((i) => i.row !== undefined);
  const actual = multi ? results.map(printable) : printable(results[0]!);
  const rejects = results.some((r) => r.kind === 'rejected');
  return {
    example,
    ...settleGolden(example.name, example.expected, actual, rejects, { ...opts, label: example.label }),
  };
}

/** A golden named like this expects a rejection (an OperationOutcome) and may record one. */
export const REJECTION_NAME = /(^|-)(invalid|rejects?|rejection)(-|$)/;

/**
 * Compares `actual` with the expected file, or records it under --update — except a rejection
 * (OperationOutcome) when neither the golden's name nor --allow-rejection says one is expected: a
 * mapping that broke would otherwise be saved as the truth.
 */
export function settleGolden(
  name: string,
  expectedFile: string,
  actual: unknown,
  rejects: boolean,
  opts: { update: boolean; allowRejection: boolean; label: string },
): Omit<GoldenResult, 'example'> {
  const { label } = opts;
  if (opts.update) {
    if (rejects && !opts.allowRejection && !REJECTION_NAME.test(name)) {
      return {
        label,
        status: 'failed',
        detail: [
          'not updated: the output is a rejection (OperationOutcome); name the golden *-invalid or *-rejection, or pass --allow-rejection',
        ],
      };
    }
    const text = formatJson(actual);
    const same = existsSync(expectedFile) && readFileSync(expectedFile, 'utf8') === text;
    if (!same) writeFileSync(expectedFile, text);
    return { label, status: same ? 'passed' : 'updated', detail: [] };
  }
  if (!existsSync(expectedFile)) {
    return { label, status: 'failed', detail: ['no expected file (run `navbridge mappings test --update`)'] };
  }
  let expected: unknown;
  try {
    expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
  } catch {
    return { label, status: 'failed', detail: ['the expected file is not valid JSON'] };
  }
  // Compare the serialised form: goldens promise byte-identical output, member order included.
  const diff = formatJson(expected) === formatJson(actual) ? [] : jsonDiff(expected, actual);
  return { label, status: diff.length === 0 ? 'passed' : 'failed', detail: diff };
}

export interface GoldenRunOptions {
  mappingsDir: string;
  validator?: Validator;
  update?: boolean;
  /** --allow-rejection: --update may record an OperationOutcome whatever the golden's name. */
  allowRejection?: boolean;
  /** Only examples whose label contains this text. */
  filter?: string;
}

/** Runs every golden example (base and site-specific) in a stable order. */
export async function runGoldens(opts: GoldenRunOptions): Promise<GoldenResult[]> {
  const examples = findGoldenExamples(opts.mappingsDir).filter(
    (e) => !opts.filter || e.label.includes(opts.filter),
  );
  const out: GoldenResult[] = [];
  const mappings = lazyMappingSet(opts.mappingsDir);
  for (const example of examples) {
    try {
      const flags = { update: opts.update ?? false, allowRejection: opts.allowRejection ?? false };
      out.push(await runExample(example, mappings, opts.validator, flags));
    } catch (err) {
      const { message, detail } = describeError(err);
      out.push({ example, label: example.label, status: 'failed', detail: [message, ...detail] });
    }
  }
  return out;
}
