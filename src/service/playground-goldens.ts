// The playground's golden examples: the output of a run diffed against a chosen golden, and a run
// saved as a new golden (input, expected output, context) into the mappings folder, written exactly as
// `navbridge mappings test --update` would write the expected file, so that `mappings test` passes.
import { readGoldenExpected, writeGoldenExample } from '../config/golden-files.js';
import { unprocessable } from '../errors/index.js';
import { audit } from '../store/audit.js';
import { jsonDiff } from './json-diff.js';
import {
  admitPlayground,
  type PlaygroundDeps,
  type RecordRun,
  type RecordRunResult,
  runRecord,
  type TracedRecords,
  traceRecords,
} from './playground.js';
import { formatJson, GOLDEN_NOW, printable, resultOf } from './record-pipeline.js';
import { type Caller, whoOf } from './types.js';

/** What `mappings test` compares: one result, or one per row for CSV and JSON arrays. */
function printed(traced: TracedRecords, format: RecordRun['format']): unknown {
  const results = traced.traces.map(resultOf).map(printable);
  const multi = format === 'csv' || traced.inputs.some((i) => i.row !== undefined);
  return multi ? results : results[0];
}

/** Maps a record and, when the run names a golden, diffs the output against its expected file. */
export async function runRecordWithDiff(
  deps: PlaygroundDeps,
  caller: Caller,
  run: RecordRun,
): Promise<RecordRunResult> {
  const settings = await admitPlayground(deps, caller);
  const golden = run.golden ? readGoldenExpected(settings.mappingsDir, run.golden) : undefined;
  return runRecord(deps, caller, run, (traced) => {
    if (!golden) return undefined;
    const actual = printed(traced, run.format);
    const same = formatJson(golden.expected) === formatJson(actual);
    return { golden: golden.example.label, differences: same ? [] : jsonDiff(golden.expected, actual) };
  });
}

export interface SaveGolden extends RecordRun {
  /** The example's name (kebab-case): `<name>.input.json`, `<name>.expected.json`. */
  name: string;
  /** The output is a structural rejection, and that is what the example is for. */
  rejection?: boolean;
  overwrite?: boolean;
}

/** Writes the run as a golden example; refuses output that fails to map or validate. */
export async function saveGolden(deps: PlaygroundDeps, caller: Caller, g: SaveGolden) {
  const settings = await admitPlayground(deps, caller);
  const traced = await traceRecords(deps, settings, g);
  const results = traced.traces.map(resultOf);
  if (results.some((r) => r.kind === 'failed'))
    throw unprocessable('the mapping fails on this input: fix it before saving a golden example', {
      expression: 'text',
    });
  if (results.some((r) => r.kind === 'rejected') && !g.rejection)
    throw unprocessable('the record is rejected: save it as a rejection case if that is what it shows', {
      expression: 'rejection',
    });
  // A record naming its own site is a base example; one mapped with the chosen site is that site's.
  const ownSite = traced.inputs.every(
    (i) => typeof (i.input as { site?: unknown } | null | undefined)?.site === 'string',
  );
  const contextNeeded = traced.now !== GOLDEN_NOW || Object.keys(g.context ?? {}).length > 0;
  const files = writeGoldenExample(settings.mappingsDir, {
    recordType: g.recordType,
    ...(!ownSite && g.site ? { site: g.site } : {}),
    name: g.name,
    format: g.format,
    input: g.text,
    expected: formatJson(printed(traced, g.format)),
    ...(contextNeeded ? { context: formatJson({ ...g.context, now: traced.now }) } : {}),
    ...(g.overwrite ? { overwrite: true } : {}),
  });
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'playground-save-golden',
    targetType: 'golden-example',
    targetId: files[0] ?? null,
    detail: { files },
  });
  return { files };
}
