// Child processes of the bench and what it reads of them: start, wait, kill; RSS and CPU time from
// /proc; and an admin connection to PostgreSQL (for the backends' CPU and the bench's own queries).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Waits until `probe` returns a truthy value (checked every `intervalMs`), or throws after `timeoutMs`. */
export async function waitFor(probe, what, timeoutMs = 120_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const live = new Set();
/** Kills every child still running (the bench interrupted: nothing of it may be left behind). */
export function killChildren() {
  for (const c of live) c.kill('SIGKILL');
}

/** A child `node` process with its last output kept for error messages. */
export function startNode(name, args, { cwd, env = {} } = {}) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let out = '';
  const keep = (d) => {
    out = (out + d).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    name,
    pid: child.pid,
    child,
    output: () => out,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** VmRSS and VmHWM (MB) of a process from /proc/PID/status; undefined once it has gone. */
export function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples the RSS of named processes every `intervalMs` until stopped: the peak VmRSS and last VmHWM. */
export function sampleMemory(procs, intervalMs = 250) {
  const peak = new Map(procs.map((p) => [p.name, { rssMb: 0, hwmMb: 0 }]));
  const tick = () => {
    for (const p of procs) {
      const m = memoryOf(p.pid);
      const k = peak.get(p.name);
      if (m && k) {
        k.rssMb = Math.max(k.rssMb, m.rssMb);
        k.hwmMb = Math.max(k.hwmMb, m.hwmMb);
      }
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return () => {
    clearInterval(timer);
    tick();
    return Object.fromEntries(peak);
  };
}

/** Runs `fn(sql)` on an admin connection to `url`. */
export async function withAdmin(url, fn) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** CPU time (user + system, ms) a process has used, from /proc/PID/stat; 0 once it has gone. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based, so 11 and 12 after the command), in 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU used from now to `end()` by named processes and by the PostgreSQL backends serving `database`
 * (connections opened meanwhile count from zero): ms per process kind.
 */
export async function cpuMeter(procs, databaseUrl) {
  const backends = async () =>
    withAdmin(databaseUrl, async (c) =>
      (
        await c.query(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )
      ).rows.map((r) => r.pid),
    ).catch(() => []);
  const start = new Map(procs.map((p) => [p.pid, cpuMsOf(p.pid)]));
  const pgStart = new Map((databaseUrl ? await backends() : []).map((pid) => [pid, cpuMsOf(pid)]));
  return async () => {
    const out = {};
    for (const p of procs) {
      const kind = p.name.replace(/\d+$/, '');
      out[kind] = (out[kind] ?? 0) + cpuMsOf(p.pid) - (start.get(p.pid) ?? 0);
    }
    if (!databaseUrl) return out;
    out.postgres = 0;
    for (const pid of await backends()) out.postgres += cpuMsOf(pid) - (pgStart.get(pid) ?? 0);
    return out;
  };
}
