// The processes a bench part measures: navbridge's API (`serve`) and delivery workers (`worker`) from
// the target checkout's dist/, on a fresh schema of the bench's own database and a Redis key prefix of
// its own, with the fast receiver (receiver.mjs) as every partner. Also: child processes, their RSS.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SITE = 'leeds-north';
export const TRUST = { id: 'bench-trust', ods: 'RGD' };
export const ONWARD = { id: 'bench-onward', ods: 'NQT01' };
export const BARS = { id: 'bench-bars', ods: 'RND', clientId: 'bench-bars-client', dos: '2222222222' };
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

/** The fast receiver on `port` (0: any); `url(name)` is a partner's FHIR base on it. */
export async function startReceiver(port = 0) {
  const proc = startNode('receiver', [path.join(HERE, 'receiver.mjs'), '--port', String(port)]);
  const line = await waitFor(
    async () => /\{"ready".*\}/.exec(proc.output())?.[0],
    'the receiver',
    30_000,
    20,
  );
  const p = JSON.parse(line).port;
  const base = `http://127.0.0.1:${p}`;
  const get = async (what) => (await fetch(`${base}/_bench/${what}`)).json();
  return {
    proc,
    port: p,
    url: (name) => `${base}/${name}/fhir`,
    receipts: () => get('receipts'),
    bodies: () => get('bodies'),
    count: async () => (await get('count')).count,
    reset: () => get('reset'),
    stop: () => proc.stop(),
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

/** Deletes every Redis key under `prefix:` (SCAN, not KEYS: others share the server). */
export async function deleteRedisPrefix(redisUrl, prefix) {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

function configFor({ target, base, receiver, apiKeyHash, retry, receives }) {
  const common = { timeoutMs: 10_000, retry, circuitBreaker: { failureThreshold: 5, cooldownMs: 1_000 } };
  return {
    mappingsDir: path.join(target, 'mappings'),
    profilesDir: path.join(target, 'profiles'),
    sites: [SITE],
    publicBaseUrl: `${base}/fhir`,
    http: { rateLimits: { enabled: false } },
    apiKeys: [{ id: 'bench-case-system', site: SITE, sha256: apiKeyHash }],
    partners: [
      {
        id: TRUST.id,
        name: 'Bench Trust',
        kind: 'trust',
        odsCodes: [TRUST.ods],
        baseUrl: receiver.url('trust'),
        mode: 'transaction',
        receives: [...receives],
        ...common,
      },
      {
        id: ONWARD.id,
        name: 'Bench Community Service',
        kind: 'community-service',
        odsCodes: [ONWARD.ods],
        baseUrl: receiver.url('onward'),
        mode: 'transaction',
        receives: ['onward-referral'],
        ...common,
      },
      {
        id: BARS.id,
        name: 'Bench BaRS sender',
        kind: 'trust',
        odsCodes: [BARS.ods],
        dosServiceId: BARS.dos,
        baseUrl: receiver.url('bars'),
        mode: 'message',
        receives: ['referral-status'],
        inbound: { clientId: BARS.clientId, publicKeysEnv: 'BENCH_BARS_JWKS', defaultSite: SITE },
        ...common,
      },
    ],
  };
}

/**
 * navbridge with `apis` API processes and `workers` worker processes of `opts.target`, all partners at
 * `receiver`. Returns their base URLs, credentials, processes and stop().
 */
export async function startNavbridge(opts, { apis = 1, workers = 1, receiver, retry }) {
  const { target, databaseUrl, redisUrl } = opts;
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const prefix = `nbbench-${randomBytes(4).toString('hex')}`;
  const ports = [];
  for (let i = 0; i < apis; i++) ports.push(await freePort());
  const base = `http://127.0.0.1:${ports[0]}`;
  const apiKey = randomBytes(24).toString('hex');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-bench-'));
  const file = path.join(dir, 'navbridge.config.json');
  // The trust receives every category the target knows (its own list, so older checkouts work too).
  const { RECEIVES } = await import(
    pathToFileURL(path.join(target, 'dist', 'settings', 'app-config.js')).href
  );
  const config = configFor({
    receives: RECEIVES,
    target,
    base,
    receiver,
    apiKeyHash: createHash('sha256').update(apiKey).digest('hex'),
    retry: retry ?? { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 1_000 },
  });
  config.worker = { leaseMs: 30_000, sweepIntervalMs: 2_000, requeueAfterMs: 10_000, queuePrefix: prefix };
  writeFileSync(file, JSON.stringify(config));
  const env = {
    NAVBRIDGE_CONFIG: file,
    NAVBRIDGE_DB_SCHEMA: schema,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    NAVBRIDGE_PERSON_KEY: randomBytes(24).toString('hex'),
    NAVBRIDGE_MASTER_KEYS: `bench-1:${randomBytes(32).toString('base64')}`,
    NAVBRIDGE_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    BENCH_BARS_JWKS: JSON.stringify({ keys: [jwk] }),
    LOG_LEVEL: 'warn',
    ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
  };
  const cli = path.join(target, 'dist', 'cli', 'run.js');
  const procs = [];
  // SIGTERM: the processes exit on their own (and write their CPU profiles, with --cpu-prof).
  const stopProcesses = () => Promise.all(procs.map((p) => p.stop()));
  const stop = async () => {
    await stopProcesses();
    rmSync(dir, { recursive: true, force: true });
    await withAdmin(databaseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => {});
    await deleteRedisPrefix(redisUrl, prefix).catch(() => {});
  };
  try {
    const migrate = startNode('migrate', [cli, 'migrate'], { cwd: target, env });
    await new Promise((r) => migrate.child.on('exit', r));
    if (migrate.child.exitCode !== 0) throw new Error(`navbridge migrate failed: ${migrate.output()}`);
    const apiProcs = ports.map((port, i) =>
      startNode(`api${i + 1}`, [cli, 'serve', '--port', String(port)], { cwd: target, env }),
    );
    const workerPorts = [];
    for (let i = 0; i < workers; i++) workerPorts.push(await freePort());
    const workerProcs = workerPorts.map((port, i) =>
      startNode(`worker${i + 1}`, [cli, 'worker'], {
        cwd: target,
        env: { ...env, METRICS_PORT: String(port) },
      }),
    );
    procs.push(...apiProcs, ...workerProcs);
    const alive = (p) => {
      if (!p.running()) throw new Error(`${p.name} exited: ${p.output().slice(-3000)}`);
    };
    await Promise.all([
      ...ports.map((port, i) =>
        waitFor(async () => {
          alive(apiProcs[i]);
          return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
        }, `${apiProcs[i].name} /health`),
      ),
      ...workerPorts.map((port, i) =>
        waitFor(async () => {
          alive(workerProcs[i]);
          return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
        }, `${workerProcs[i].name} /ready`),
      ),
    ]);
    const token = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
        .setIssuer(BARS.clientId)
        .setSubject(BARS.clientId)
        .setAudience(`${base}/fhir`)
        .setIssuedAt()
        .setExpirationTime('4m')
        .setJti(randomUUID())
        .sign(privateKey);
    return {
      bases: ports.map((p) => `http://127.0.0.1:${p}`),
      apiKey,
      token,
      apiProcs,
      workerProcs,
      schema,
      prefix,
      env,
      stopProcesses,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
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
