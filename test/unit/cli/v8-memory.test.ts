// The young generation held at 16 MB when start-up set no cap (src/cli/v8-memory.ts), judged in a
// child process of its own (a fresh heap), with and without holding, under the same allocation.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { YOUNG_GENERATION_BYTES, youngGenerationCapped } from '../../../src/cli/v8-memory.js';
import { ROOT } from './run.js';

const MB = 1024 * 1024;

/** Allocates with survivors (a rolling window of recent objects), yielding so GC entries arrive. */
const script = (hold: boolean) => `
import v8 from 'node:v8';
import { setImmediate as tick } from 'node:timers/promises';
import { holdYoungGeneration } from ${JSON.stringify(path.join(ROOT, 'src/cli/v8-memory.ts'))};
const stop = ${hold} ? holdYoungGeneration() : () => {};
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let max = 0;
const window = new Array(150_000);
for (let i = 0; i < 3_000_000; i++) {
  window[i % window.length] = { i, s: 'x' + i, a: [i, i + 1] };
  if (i % 5_000 === 0) { await tick(); max = Math.max(max, newSpace()); }
}
stop();
process.stdout.write(JSON.stringify({ max }));
`;

function maxNewSpace(hold: boolean): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(hold)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { max: number }).max;
}

describe('V8 young generation', () => {
  // V8 alone doubles it to 128 MB here; held, it stops doubling at 16 MB, though V8 may add single
  // pages for a while (seen: up to 35 MB, then back to 16), as it does under --max-semi-space-size.
  it('stops growing at 16 MB when held, where V8 alone grows it to 64 MB and more', () => {
    const held = maxNewSpace(true);
    const free = maxNewSpace(false);
    expect(held).toBeGreaterThanOrEqual(YOUNG_GENERATION_BYTES);
    expect(held).toBeLessThanOrEqual(3 * YOUNG_GENERATION_BYTES);
    expect(free).toBeGreaterThanOrEqual(64 * MB);
  }, 60_000);

  it('is left to the start-up flag when one was given, in the arguments or NODE_OPTIONS', () => {
    expect(youngGenerationCapped(['--max-semi-space-size=8'], undefined)).toBe(true);
    expect(youngGenerationCapped([], '--enable-source-maps --max_semi_space_size=32')).toBe(true);
    expect(youngGenerationCapped(['--max-old-space-size=256'], '--max-old-space-size=256')).toBe(false);
    expect(youngGenerationCapped([], undefined)).toBe(false);
  });
});
