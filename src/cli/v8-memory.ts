// V8's heap sizing for a small resident set. navbridge's live heap is about 60–90 MB; with V8's
// defaults on a machine of many GiB the API grew to 400–600 MB resident under a steady load and kept
// it (README "Memory" has the figures).
//   - Start-up (loading modules, indexing the definitions, compiling mappings) runs with
//     `--optimize-for-size` (`v8Compact`, from v8-start.ts, which run.ts imports before anything
//     else): the collector keeps the heap near what is live, so the parse garbage of start-up does not
//     stay resident. It also makes the JIT favour size over speed — about a quarter of the throughput
//     if left on — so:
//   - once the process serves (`v8Settled`: serve, worker and start call it), the JIT is back to full
//     speed and the old generation grows by half of what is live at each full collection
//     (`--heap-growing-percent=50`) instead of V8's factor of up to 4. Measured (README "Benchmark"):
//     10 % held the API nearest 300 MB but its more frequent full collections put pauses into the
//     intake p99 (records held p99 ≤ 50 ms up to 25/s instead of 50/s); 150 % kept the p99 and let the
//     API grow to 390 MB.
//   - the young generation is held at 16 MB (`holdYoungGeneration`) unless start-up capped it
//     (`--max-semi-space-size`, as the Dockerfile and the systemd units set in NODE_OPTIONS): V8's own
//     cap on this kind of machine is 128 MB, which the API reached within seconds of load — 316 MB
//     resident against 213 MB with the units' flag, the live heap the same.
// V8 reads these flags at every collection or compilation, so setting them at run time takes effect;
// Node refuses `--optimize-for-size` in NODE_OPTIONS, and `--max-semi-space-size` only counts at
// start-up. NAVBRIDGE_V8_HEAP=default leaves V8's defaults (the environment's schema checks the value).
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** How much the old generation may grow over what is live at each full collection, in percent. */
export const HEAP_GROWING_PERCENT = 50;

let compacting = false;

/** Start-up with `--optimize-for-size`, unless NAVBRIDGE_V8_HEAP=default. */
export function v8Compact(env: NodeJS.ProcessEnv): void {
  if (env.NAVBRIDGE_V8_HEAP === 'default' || compacting) return;
  v8.setFlagsFromString('--optimize-for-size');
  compacting = true;
}

/** The young generation's size (both semi-spaces) navbridge holds, as `--max-semi-space-size=8` does. */
export const YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;
/** V8's own `--semi-space-growth-factor`. */
const V8_SEMI_SPACE_GROWTH = 2;

/** Whether the process was started with its own young-generation cap (flags or NODE_OPTIONS). */
export function youngGenerationCapped(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flag = /(^|\s)--max[-_]semi[-_]space[-_]size\b/;
  return execArgv.some((a) => flag.test(a)) || flag.test(nodeOptions ?? '');
}

const newSpaceBytes = (): number =>
  v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/**
 * Holds V8's young generation at `bytes`: after each collection (a `gc` performance entry) it checks
 * the semi-spaces' size, and the first time they have reached `bytes` it stops their doubling (V8's
 * `--semi-space-growth-factor` 2 → 1) and stops checking. V8 doubles them only after a collection
 * that found enough survivors, so they stop at the first doubling that reaches `bytes` (they start
 * at a power of two MB); V8 may still add single pages above it for a while (seen: up to twice
 * `bytes`, then back), as it does under `--max-semi-space-size`. Once only: a version that switched
 * the factor back and forth whenever the size crossed `bytes` (V8 shrinks the space when little
 * survives) showed request stalls of 0.2–1.2 s at 25/s, the once-only one none beyond the start-up
 * flag's. Answers a function that stops holding and gives V8 its factor back.
 */
export function holdYoungGeneration(bytes: number = YOUNG_GENERATION_BYTES): () => void {
  let held = false;
  const observer = new PerformanceObserver(() => check());
  const check = (): void => {
    if (held || newSpaceBytes() < bytes) return;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    held = true;
    observer.disconnect();
  };
  observer.observe({ entryTypes: ['gc'] });
  check();
  return () => {
    observer.disconnect();
    if (held) v8.setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH}`);
    held = false;
  };
}

/**
 * Start-up is over: full-speed JIT, a heap that grows by half of what is live, and a young
 * generation held at 16 MB unless start-up capped it (see the top).
 */
export function v8Settled(): void {
  if (!compacting) return;
  v8.setFlagsFromString('--no-optimize-for-size');
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (!youngGenerationCapped(process.execArgv, process.env.NODE_OPTIONS)) holdYoungGeneration();
  compacting = false;
}
