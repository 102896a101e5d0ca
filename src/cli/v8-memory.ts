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
// V8 reads these flags at every collection or compilation, so setting them at run time takes effect;
// Node refuses `--optimize-for-size` in NODE_OPTIONS. NAVBRIDGE_V8_HEAP=default leaves V8's defaults
// (the environment's schema checks the value).
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

/** Start-up is over: full-speed JIT, and a heap that grows by half of what is live (see the top). */
export function v8Settled(): void {
  if (!compacting) return;
  v8.setFlagsFromString('--no-optimize-for-size');
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  compacting = false;
}
