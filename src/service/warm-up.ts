// Warm-up before an API process takes requests. V8 compiles a function for speed only after it has
// run many times, so a new process answered its first records in 50–135 ms each, and its first few
// hundred in 20–45 ms, against 12–20 ms once JSONata's evaluator, medplum's validator and the record
// schemas were compiled: the first seconds after every start or deploy were the slowest of the day.
// The warm-up runs the mapping examples (`mappings/<type>/examples/*.input.*`, the goldens) through
// the one record pipeline (check → triage → mapping → validation), in memory — nothing is stored,
// queued or sent — for a bounded time. Each round gives the records new ids, so validation really
// runs again rather than answering from its memo (src/fhir/validate.ts).
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { findGoldenExamples } from '../config/mappings.js';
import { hasErrors } from '../errors/index.js';
import type { RecordType } from '../records/index.js';
import { GOLDEN_NOW, Pipeline, type RawInput, readInputs } from './record-pipeline.js';
import type { ServiceDeps } from './types.js';

export interface WarmUpOptions {
  /** The mappings folder whose examples are run. */
  mappingsDir: string;
  /** Stop after this long (ms); 0 runs nothing. */
  budgetMs: number;
  /** At most this many rounds over the examples. */
  rounds?: number;
  /** The clock for the budget (ms). */
  elapsedMs?: () => number;
}

export interface WarmUpResult {
  /** Records taken through the pipeline, and of them how many mapped and validated without errors. */
  records: number;
  mapped: number;
  rounds: number;
  ms: number;
}

/** How many rounds by default: enough for V8 to compile the hot paths for speed. */
export const WARM_UP_ROUNDS = 10;

interface Example {
  recordType: RecordType;
  inputs: RawInput[];
}

/** The examples' records, read once; a file that cannot be read or parsed is left out. */
function readExamples(mappingsDir: string): Example[] {
  const out: Example[] = [];
  for (const e of findGoldenExamples(mappingsDir)) {
    try {
      const inputs = readInputs(e.recordType, e.input, readFileSync(e.input, 'utf8'));
      out.push({ recordType: e.recordType, inputs });
    } catch {
      // Not this example: `mappings test` reports it.
    }
  }
  return out;
}

/** The record for round `round`: an enabled site's, with an id of its own. */
function variant(input: unknown, site: string, round: number): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const r = input as Record<string, unknown>;
  const id = typeof r.id === 'string' && r.id.length <= 56 ? `${r.id}-w${round}` : r.id;
  return { ...r, site, id };
}

/**
 * Runs the examples through the record pipeline with the process's own mappings and validator,
 * round after round, until `rounds` are done or `budgetMs` has passed. Never throws: an example that
 * fails or is rejected has still warmed what it ran through.
 */
export async function warmUp(
  deps: Pick<ServiceDeps, 'mappings' | 'validator'>,
  opts: WarmUpOptions,
): Promise<WarmUpResult> {
  const elapsed = opts.elapsedMs ?? (() => performance.now());
  const t0 = elapsed();
  const result: WarmUpResult = { records: 0, mapped: 0, rounds: 0, ms: 0 };
  const site = deps.mappings.sites[0];
  const examples = opts.budgetMs > 0 && site ? readExamples(opts.mappingsDir) : [];
  if (!site || examples.length === 0) return { ...result, ms: Math.round(elapsed() - t0) };
  const pipeline = new Pipeline({ mappings: deps.mappings, now: GOLDEN_NOW, validator: deps.validator });
  const rounds = opts.rounds ?? WARM_UP_ROUNDS;
  outer: for (let round = 0; round < rounds; round++) {
    for (const { recordType, inputs } of examples) {
      for (const raw of inputs) {
        if (elapsed() - t0 >= opts.budgetMs) break outer;
        // A turn of the event loop between records, as between requests: timers, signals and the
        // collector's performance entries (src/cli/v8-memory.ts) are not held up by the warm-up.
        await nextTurn();
        result.records++;
        try {
          const trace = await pipeline.trace(recordType, { ...raw, input: variant(raw.input, site, round) });
          if (trace.kind === 'mapped' && !hasErrors(trace.trace.issues)) result.mapped++;
        } catch {
          // A usage problem of this example (e.g. a site-only mapping): the rest still run.
        }
      }
    }
    result.rounds = round + 1;
  }
  result.ms = Math.round(elapsed() - t0);
  return result;
}
