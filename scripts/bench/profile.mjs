// Hot spots from V8 CPU profiles (`--cpu-prof`): self time per function, summed over the profiles of
// one kind of process (API or worker), the top N with their share of all samples.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const shortUrl = (url) =>
  url.includes('/node_modules/')
    ? url.replace(/.*\/node_modules\//, '')
    : url.replace(/^file:\/\//, '').replace(/.*\/dist\//, 'dist/');

/** Self time (ms) per function of one .cpuprofile, of the samples in its last `lastMs` (all: Infinity). */
function selfTimes(profile, lastMs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map();
  const deltas = profile.timeDeltas ?? [];
  // Sample times from the start (µs); a sample counts if it falls in the window before the end.
  const at = [];
  let t = profile.startTime;
  for (const d of deltas) {
    t += d;
    at.push(t);
  }
  const from = profile.endTime - lastMs * 1000;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    if (!n || at[i] < from) return;
    const f = n.callFrame;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    ms.set(key, (ms.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  return ms;
}

/**
 * The top `n` functions by self time over every profile in `dir` written by one of `pids`, counting
 * only the last `lastMs` of each (the load, not the start-up: the processes stop right after it).
 */
export function hotSpots(dir, pids, lastMs = Number.POSITIVE_INFINITY, n = 12) {
  const total = new Map();
  let all = 0;
  let files = 0;
  for (const f of readdirSync(dir)) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(f)?.[1]);
    if (!f.endsWith('.cpuprofile') || !pids.includes(pid)) continue;
    files++;
    for (const [k, v] of selfTimes(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), lastMs)) {
      total.set(k, (total.get(k) ?? 0) + v);
      all += v;
    }
  }
  const top = [...total]
    .filter(([k]) => !/^\((idle|program|garbage collector)\)/.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, ms]) => ({ fn, ms: Math.round(ms), share: all ? ms / all : 0 }));
  const gc = [...total].find(([k]) => k.startsWith('(garbage collector)'))?.[1] ?? 0;
  const idle = [...total].find(([k]) => k.startsWith('(idle)'))?.[1] ?? 0;
  return {
    files,
    sampledMs: Math.round(all),
    idleShare: all ? idle / all : 0,
    gcShare: all ? gc / all : 0,
    top,
  };
}
