// End-to-end harness: navbridge as it runs for real — two sandbox partner FHIR servers (a trust in
// transaction mode, a GP practice in document mode), `navbridge serve` and `navbridge worker` — each a
// child process of the built code in dist/, on a fresh PostgreSQL schema and a random Redis queue
// prefix, with an ES256 key the trust signs its JWTs with and an API key for the navigator's site.
// navbridge's processes run dist/ (the built code), so `npm run build` must follow any change to src/;
// the sandbox partners are test support and run from their TypeScript source through tsx.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4.js';
import { RECEIVES } from '../../src/settings/app-config.js';
import { createTestDb, TEST_DATABASE_URL, TEST_MASTER_KEYS, type TestDb } from './db.js';
import { clientAssertion, jwksJson, signingKey } from './keys.js';
import { type Exit, freePort, REPO_ROOT, track, waitForOutput, writeTempConfig } from './processes.js';
import { connectRedis, deletePrefix, randomPrefix, TEST_REDIS_URL } from './redis.js';
import { sandboxNodeArgs } from './sandbox/command.js';
import type { Fault, RequestLogEntry } from './sandbox/partner-server.js';
import { waitFor } from './wait.js';

export const SITE = 'leeds-north';
export const TRUST = { id: 'leeds-trust', ods: 'RGD', clientId: 'leeds-trust-client' } as const;
export const GP = { id: 'chapel-allerton-gp', ods: 'B86016' } as const;

const OUTPUT_CAP = 400_000;

export interface Child {
  readonly name: string;
  /** Everything written to stdout and stderr (the last 400 kB), for failure messages. */
  output(): string;
  running(): boolean;
  /** Resolves with the first stdout/stderr line `match` accepts; rejects if the process exits first. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Signals the process (SIGTERM by default) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** `node <script> …args` from the repository root, with a minimal environment plus `env`. */
export function spawnNode(name: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(child);
  let text = '';
  const lines: string[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    const s = d.toString();
    text = (text + s).slice(-OUTPUT_CAP);
    partial += s;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > 5_000) lines.splice(0, lines.length - 5_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exit: Exit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  return {
    name,
    output: () => text,
    running: () => exit === undefined,
    waitForLine: (match, what, timeoutMs = 60_000) =>
      waitForOutput({ name, lines, exit: () => exit, output: () => text }, match, what, timeoutMs),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exit) return exit;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const e = await exited;
      clearTimeout(killer);
      return e;
    },
  };
}

export interface Sandbox {
  readonly name: string;
  /** FHIR base URL (stable across stop/start: the port is kept). */
  readonly url: string;
  process(): Child;
  /** Stops the server process (its in-memory data is gone). */
  stop(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  start(): Promise<void>;
  /** Every match of a search over HTTP (one page of up to 1000). */
  search<T extends Resource>(type: T['resourceType'], params?: Record<string, string>): Promise<T[]>;
  /** Every version of a resource over HTTP, newest first. */
  history<T extends Resource>(type: T['resourceType'], id: string): Promise<T[]>;
  /** Faults for the next FHIR requests, through the process's --control endpoint. */
  injectFaults(...faults: Fault[]): Promise<void>;
  requests(): Promise<RequestLogEntry[]>;
}

async function fhirGet<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** A sandbox partner FHIR server process (test/support/sandbox/main.ts --control) on a port of its own. */
export async function startSandbox(name: string): Promise<Sandbox> {
  const port = await freePort();
  let proc: Child | undefined;
  let control = '';
  const url = `http://127.0.0.1:${port}/fhir`;
  const start = async () => {
    proc = spawnNode(
      `${name} server`,
      sandboxNodeArgs(['--name', name, '--port', String(port), '--control']),
    );
    const line = await proc.waitForLine((l) => l.startsWith('{"ready"'), 'ready line');
    const ready = JSON.parse(line) as { url: string; control: string };
    if (ready.url !== url) throw new Error(`${name} server listens at ${ready.url}, expected ${url}`);
    control = ready.control;
  };
  await start();
  return {
    name,
    url,
    process: () => proc!,
    start,
    async stop() {
      await proc?.stop();
    },
    async search<T extends Resource>(type: T['resourceType'], params: Record<string, string> = {}) {
      const q = new URLSearchParams({ ...params, _count: '1000' });
      const b = await fhirGet<Bundle>(`${url}/${type}?${q}`);
      return (b.entry ?? []).map((e) => e.resource as T);
    },
    async history<T extends Resource>(type: T['resourceType'], id: string) {
      const b = await fhirGet<Bundle>(`${url}/${type}/${id}/_history?_count=1000`);
      return (b.entry ?? []).map((e) => e.resource as T);
    },
    async injectFaults(...faults) {
      const res = await fetch(`${control}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (res.status !== 204) throw new Error(`${name}: fault injection answered ${res.status}`);
    },
    async requests() {
      return (await (await fetch(`${control}/requests`)).json()) as RequestLogEntry[];
    },
  };
}

export interface E2E {
  trust: Sandbox;
  gp: Sandbox;
  /** navbridge's own base URL (FHIR under /fhir, navigator API under /api/v1). */
  base: string;
  t: TestDb;
  serve: Child;
  worker: Child;
  /** A request to navbridge as the trust: a fresh ES256 JWT, a new X-Request-Id, fhir+json. */
  asTrust(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** A request to the navigator API with the site's X-API-Key. */
  asNavigator(method: string, url: string, body?: unknown): Promise<Response>;
  /** The Redis key prefix of this run's queues. */
  prefix: string;
  /** The environment navbridge's processes run with (for a CLI run beside them). */
  env: Readonly<Record<string, string>>;
  /** Output of every process, for a failing test's message. */
  output(): string;
  close(): Promise<void>;
}

export interface E2EOptions {
  /** Extra environment for navbridge's processes (e.g. DEBUG, LOG_LEVEL). */
  env?: Record<string, string>;
  /** The mappings folder (default: the repository's). */
  mappingsDir?: string;
  /** Redis for navbridge's processes (default: the shared test server). */
  redisUrl?: string;
}

/** Starts everything; on failure, stops what was started and rethrows with the processes' output. */
export async function startE2E(options: E2EOptions = {}): Promise<E2E> {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  // The processes run the built code (as `npm test` and `npm run demo` do): build first after changes.
  const built = 'dist/cli/run.js';
  if (!existsSync(path.join(REPO_ROOT, built))) throw new Error(`${built} is missing: run npm run build`);
  const t = await createTestDb();
  const prefix = randomPrefix();
  const started: Child[] = [];
  const sandboxes: Sandbox[] = [];
  let config: ReturnType<typeof writeTempConfig> | undefined;
  const stopAll = async () => {
    await Promise.all([...started, ...sandboxes.map((s) => s.process())].map((c) => c.stop('SIGKILL')));
  };
  try {
    const [trust, gp] = await Promise.all([startSandbox('trust'), startSandbox('gp')]);
    sandboxes.push(trust, gp);

    const trustKey = await signingKey('ES256', 'trust-e2e');
    const apiKey = randomBytes(24).toString('hex');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    config = writeTempConfig({
      mappingsDir: options.mappingsDir ?? path.join(REPO_ROOT, 'mappings'),
      profilesDir: path.join(REPO_ROOT, 'profiles'),
      sites: [SITE],
      publicBaseUrl: `${base}/fhir`,
      worker: { leaseMs: 10_000, sweepIntervalMs: 500, requeueAfterMs: 2_000, queuePrefix: prefix },
      apiKeys: [{ id: 'case-system', site: SITE, sha256: createHash('sha256').update(apiKey).digest('hex') }],
      partners: [
        {
          id: TRUST.id,
          name: 'Leeds and York Partnership NHS Foundation Trust',
          kind: 'trust',
          odsCodes: [TRUST.ods],
          baseUrl: trust.url,
          mode: 'transaction',
          receives: [...RECEIVES],
          // Long enough that a busy machine never times out a normal write; short enough for the
          // slow-answer fault.
          timeoutMs: 5_000,
          retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 500 },
          circuitBreaker: { failureThreshold: 20, cooldownMs: 500 },
          inbound: { clientId: TRUST.clientId, publicKeysEnv: 'E2E_TRUST_JWKS', defaultSite: SITE },
        },
        {
          id: GP.id,
          name: 'Chapel Allerton Medical Centre',
          kind: 'gp-practice',
          odsCodes: [GP.ods],
          baseUrl: gp.url,
          mode: 'document',
          document: { transport: 'bundle', content: 'summary' },
          receives: ['referral-status', 'assessment', 'support-plan', 'onward-referral', 'discharge'],
          // Never dead while the GP's server is down for a while; probes soon after it is back.
          retry: { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 500 },
          circuitBreaker: { failureThreshold: 5, cooldownMs: 500 },
        },
      ],
    });
    const env = {
      NAVBRIDGE_CONFIG: config.file,
      NAVBRIDGE_DB_SCHEMA: t.schema,
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: redisUrl,
      NAVBRIDGE_PERSON_KEY: randomBytes(24).toString('hex'),
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: randomBytes(24).toString('hex'),
      E2E_TRUST_JWKS: await jwksJson(trustKey),
      LOG_LEVEL: 'info',
      // As deployed (Dockerfile, systemd units): README "Operations", memory.
      NODE_OPTIONS: '--max-semi-space-size=8',
      ...options.env,
    };
    const cli = path.join('dist', 'cli', 'run.js');
    const serve = spawnNode('navbridge serve', [cli, 'serve', '--port', String(port)], env);
    const worker = spawnNode('navbridge worker', [cli, 'worker'], env);
    started.push(serve, worker);
    await Promise.all([
      waitFor(
        async () => {
          if (!serve.running()) throw new Error(`navbridge serve exited:\n${serve.output()}`);
          return (await fetch(`${base}/health`).catch(() => undefined))?.ok;
        },
        { what: 'navbridge serve /health', timeoutMs: 60_000, intervalMs: 100 },
      ),
      worker.waitForLine((l) => l.includes('"worker-started"'), 'worker started'),
    ]);

    const trustToken = () =>
      clientAssertion(trustKey, { clientId: TRUST.clientId, audience: `${base}/fhir`, expIn: 240 });
    const cfg = config;
    return {
      trust,
      gp,
      base,
      t,
      serve,
      worker,
      prefix,
      env,
      async asTrust(method, url, body, headers = {}) {
        return fetch(`${base}${url}`, {
          method,
          headers: {
            authorization: `Bearer ${await trustToken()}`,
            accept: 'application/fhir+json',
            'content-type': 'application/fhir+json',
            'x-request-id': randomUUID(),
            'x-correlation-id': randomUUID(),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      },
      asNavigator(method, url, body) {
        return fetch(`${base}${url}`, {
          method,
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      },
      output: () =>
        [serve, worker, trust.process(), gp.process()]
          .map((c) => `--- ${c.name} ---\n${c.output().slice(-20_000)}`)
          .join('\n'),
      async close() {
        await Promise.all([serve.stop(), worker.stop(), trust.stop(), gp.stop()]);
        const redis = connectRedis(redisUrl);
        redis.on('error', () => {});
        await Promise.race([deletePrefix(redis, prefix), new Promise((r) => setTimeout(r, 3_000))]).catch(
          () => {},
        );
        redis.disconnect();
        cfg.remove();
        await t.close();
      },
    };
  } catch (err) {
    const out = [...started, ...sandboxes.map((s) => s.process())]
      .map((c) => `--- ${c.name} ---\n${c.output().slice(-5_000)}`)
      .join('\n');
    await stopAll();
    config?.remove();
    await t.close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${out}`);
  }
}
