// The processes a bench part measures: navbridge's API (`serve`) and delivery workers (`worker`) from
// the target checkout's dist/, on a fresh schema of the bench's own database and a Redis key prefix of
// its own, with the fast receiver (receiver.mjs) as every partner. Also: child processes, their RSS.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

import { freePort, startNode, waitFor, withAdmin } from './processes.mjs';

export {
  cpuMeter,
  cpuMsOf,
  freePort,
  killChildren,
  memoryOf,
  sampleMemory,
  sleep,
  startNode,
  waitFor,
  withAdmin,
} from './processes.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SITE = 'leeds-north';
export const TRUST = { id: 'bench-trust', ods: 'RGD' };
export const ONWARD = { id: 'bench-onward', ods: 'NQT01' };
export const BARS = { id: 'bench-bars', ods: 'RND', clientId: 'bench-bars-client', dos: '2222222222' };
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
    // The bench's own setting passes through (default: V8's own heap sizing; src/cli/v8-memory.ts).
    ...(process.env.NAVBRIDGE_V8_HEAP ? { NAVBRIDGE_V8_HEAP: process.env.NAVBRIDGE_V8_HEAP } : {}),
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
