#!/usr/bin/env node
// `npm run demo`: navbridge end to end on this machine. Starts two sandbox partner FHIR servers (a
// trust, and a GP practice in document mode), the navbridge API and a worker as their own processes,
// then runs a referral through the whole loop and prints where every resource landed.
// Needs PostgreSQL and Redis; fails within seconds, saying how to start them, when they are missing.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCHEMA = 'navbridge_demo';
const SITE = 'leeds-north';
const TRUST_CLIENT = 'leeds-trust-client';
const children = [];
let stopping = false;

const say = (s) => process.stdout.write(`${s}\n`);
const step = (s) => say(`\n▶ ${s}`);
function fail(message, hint) {
  if (stopping) return;
  process.stderr.write(`\ndemo: ${message}\n${hint ? `  ${hint}\n` : ''}`);
  shutdown(1);
}
function shutdown(code) {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
  process.exitCode = code;
}
process.on('SIGINT', () => shutdown(130));

async function preflight() {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  } catch {
    fail(
      `PostgreSQL is not reachable at ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')}`,
      'start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set DATABASE_URL)',
    );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported below, once, in plain words
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    fail(
      `Redis is not reachable at ${REDIS_URL}`,
      'start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no (or set REDIS_URL)',
    );
    return false;
  } finally {
    redis.disconnect();
  }
  return true;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child process; resolves with its first stdout line matching `ready`. */
function start(name, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    const onLine = (line) => {
      if (ready(line)) {
        clearTimeout(timer);
        resolve({ child, line });
      }
    };
    child.stdout.on('data', (d) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    let errText = '';
    child.stderr.on('data', (d) => {
      errText += d;
      String(d).split('\n').forEach(onLine);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${errText.split('\n').slice(-4).join(' ')}`));
    });
  });
}

async function waitFor(probe, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  step('Checking PostgreSQL and Redis');
  if (!(await preflight())) return;
  say('  both reachable');

  step('Starting two sandbox partner FHIR servers');
  // The sandbox partners are test support (test/support/sandbox), run from source through tsx.
  const sandbox = ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'sandbox', 'main.ts')];
  const urlOf = ({ line }) => JSON.parse(line).url;
  const [trustUrl, gpUrl] = (
    await Promise.all([
      start('trust server', [...sandbox, '--name', 'trust'], {}, (l) => l.startsWith('{"ready"')),
      start('GP server', [...sandbox, '--name', 'gp'], {}, (l) => l.startsWith('{"ready"')),
    ])
  ).map(urlOf);
  say(`  trust (transaction mode):       ${trustUrl}`);
  say(`  GP practice (document mode):    ${gpUrl}`);

  // Credentials made for this run: the trust's signing key, the navigator's API key, an admin token.
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'trust-demo', alg: 'ES256', use: 'sig' };
  const apiKey = randomBytes(24).toString('hex');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-demo-'));
  const configFile = path.join(dir, 'navbridge.config.yaml');
  writeFileSync(
    configFile,
    `# Written by scripts/demo.mjs for one run.
mappingsDir: ${path.join(ROOT, 'mappings')}
profilesDir: ${path.join(ROOT, 'profiles')}
sites: [${SITE}]
publicBaseUrl: ${base}/fhir
worker: { leaseMs: 30000, sweepIntervalMs: 1000, requeueAfterMs: 3000, queuePrefix: navbridge-demo-${randomBytes(3).toString('hex')} }
apiKeys:
  - { id: leeds-north-case-system, site: ${SITE}, sha256: ${createHash('sha256').update(apiKey).digest('hex')} }
partners:
  - id: leeds-trust
    name: Leeds and York Partnership NHS Foundation Trust
    kind: trust
    odsCodes: [RGD]
    baseUrl: ${trustUrl}
    mode: transaction
    receives: [referral-status, assessment, support-plan, onward-referral, discharge, escalation, outcome]
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 2000 }
    inbound: { clientId: ${TRUST_CLIENT}, publicKeysEnv: DEMO_TRUST_JWKS, defaultSite: ${SITE} }
  - id: chapel-allerton-gp
    name: Chapel Allerton Medical Centre
    kind: gp-practice
    odsCodes: [B86016]
    baseUrl: ${gpUrl}
    mode: document
    document: { transport: bundle, content: summary }
    receives: [referral-status, assessment, support-plan, onward-referral, discharge]
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 2000 }
`,
  );
  const env = {
    NAVBRIDGE_CONFIG: configFile,
    NAVBRIDGE_DB_SCHEMA: SCHEMA,
    DATABASE_URL,
    REDIS_URL,
    NAVBRIDGE_PERSON_KEY: randomBytes(24).toString('hex'),
    NAVBRIDGE_MASTER_KEYS: `demo-1:${randomBytes(32).toString('base64')}`,
    NAVBRIDGE_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    DEMO_TRUST_JWKS: JSON.stringify({ keys: [jwk] }),
    LOG_LEVEL: 'warn',
  };

  step('Starting navbridge: the API and a delivery worker, each its own process');
  const cli = path.join(ROOT, 'dist', 'cli', 'run.js');
  start('navbridge serve', [cli, 'serve', '--port', String(port)], env, () => false).catch((e) =>
    fail(e.message),
  );
  await waitFor(async () => (await fetch(`${base}/health`)).ok, 'the API to answer /health');
  start('navbridge worker', [cli, 'worker'], env, () => false).catch((e) => fail(e.message));
  say(`  API on ${base} (FHIR at ${base}/fhir, navigator API at ${base}/api/v1)`);

  const trustToken = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'trust-demo' })
      .setIssuer(TRUST_CLIENT)
      .setSubject(TRUST_CLIENT)
      .setAudience(`${base}/fhir`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('4m')
      .sign(privateKey);
  const asTrust = async (method, url, body) =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${await trustToken()}`,
        'content-type': 'application/fhir+json',
        'x-request-id': randomUUID(),
        'x-correlation-id': randomUUID(),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const asNavigator = (method, url, body) =>
    fetch(`${base}${url}`, {
      method,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const json = async (res, what) => {
    const body = await res.json().catch(() => ({}));
    if (!res.ok)
      throw new Error(
        `${what}: HTTP ${res.status} ${JSON.stringify(body.issue?.map((i) => i.diagnostics) ?? body)}`,
      );
    return body;
  };

  step('The trust refers a person in (POST /fhir/ServiceRequest, signed JWT)');
  const referral = JSON.parse(readFileSync(path.join(ROOT, 'demo', 'trust-referral.json'), 'utf8'));
  const created = await asTrust('POST', '/fhir/ServiceRequest', referral);
  await json(created, 'referral');
  const location = created.headers.get('location');
  say(`  201 Created, Location: ${location}`);
  const srId = location?.split('/ServiceRequest/')[1]?.split('/')[0];
  const task = await waitFor(async () => {
    const bundle = await json(await asTrust('GET', `/fhir/Task?focus=ServiceRequest/${srId}`), 'Task search');
    return bundle.entry?.[0]?.resource;
  }, 'the referral Task');
  say(`  acknowledgement: Task ${task.status} / ${task.businessStatus?.coding?.[0]?.code}`);

  const list = await json(await asNavigator('GET', '/api/v1/referrals?status=open'), 'referral list');
  const ref = list.referrals[0];
  say(
    `  the navigator sees referral ${ref.id}: ${ref.status}, first contact due ${ref.clocks?.contact?.dueAt ?? '—'}`,
  );

  step('The navigator works with the person (POST /api/v1/records, API key)');
  // At first contact the person agrees that the trust and their GP may see the assessment and plan.
  const detail = await json(
    await asNavigator('GET', `/api/v1/referrals/${encodeURIComponent(ref.id)}`),
    'referral',
  );
  const v2 = {
    ...detail.record.payload,
    version: detail.record.version + 1,
    sharing: { statusUpdates: true, withReferrer: true, withGp: true, withOnwardServices: false },
  };
  await json(
    await asNavigator('POST', '/api/v1/records', { recordType: 'referral', record: v2 }),
    'sharing agreement',
  );
  say('  sharing agreed with the referrer and the GP (referral version 2)');
  const journey = JSON.parse(readFileSync(path.join(ROOT, 'demo', 'navigator-journey.json'), 'utf8'));
  for (const s of journey.steps) {
    const record = JSON.parse(JSON.stringify(s.record).replaceAll('{{referralId}}', ref.id));
    const result = await json(
      await asNavigator('POST', '/api/v1/records', { recordType: s.recordType, record }),
      s.label,
    );
    const sent = result.exchanges.filter(
      (x) => x.status !== 'withheld-no-consent' && x.status !== 'no-route',
    ).length;
    say(`  ${s.label}: ${result.outcome}, ${sent} exchange(s) queued`);
  }

  step('A second referral: the person is in crisis');
  const crisis = JSON.parse(readFileSync(path.join(ROOT, 'demo', 'trust-crisis-referral.json'), 'utf8'));
  const crisisRes = await asTrust('POST', '/fhir/ServiceRequest', crisis);
  await json(crisisRes, 'crisis referral');
  const crisisSr = crisisRes.headers.get('location')?.split('/ServiceRequest/')[1]?.split('/')[0];
  const crisisTask = await waitFor(async () => {
    const bundle = await json(
      await asTrust('GET', `/fhir/Task?focus=ServiceRequest/${crisisSr}`),
      'Task search',
    );
    return bundle.entry?.[0]?.resource;
  }, 'the crisis Task');
  say(
    `  Task ${crisisTask.status} / ${crisisTask.statusReason?.coding?.[0]?.code}: the answer carries the crisis pathway`,
  );
  say(`  "${(crisisTask.note?.[0]?.text ?? '').slice(0, 110)}…"`);

  step('Waiting for every exchange to be delivered');
  const settled = await waitFor(
    async () => {
      const detailNow = await json(
        await asNavigator('GET', `/api/v1/referrals/${encodeURIComponent(ref.id)}`),
        'referral',
      );
      const open = detailNow.exchanges.filter((x) => ['pending', 'in-flight', 'failed'].includes(x.status));
      return open.length === 0 ? detailNow : undefined;
    },
    'deliveries',
    90_000,
  );
  const byStatus = {};
  for (const x of settled.exchanges) byStatus[x.status] = (byStatus[x.status] ?? 0) + 1;
  say(
    `  exchanges for ${ref.id}: ${Object.entries(byStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );

  step('Where every resource landed');
  const types = [
    'Task',
    'QuestionnaireResponse',
    'CarePlan',
    'Goal',
    'ServiceRequest',
    'Communication',
    'Observation',
    'Bundle',
    'Patient',
    'Organization',
  ];
  for (const [name, url] of [
    ['trust (transaction)', trustUrl],
    ['GP practice (document)', gpUrl],
  ]) {
    const counts = [];
    for (const t of types) {
      const b = await (await fetch(`${url}/${t}?_count=1000`)).json();
      const n = (b.entry ?? []).length;
      if (n) counts.push(`${n} ${t}`);
    }
    say(`  ${name}: ${counts.join(', ') || 'nothing'}`);
  }
  const trustTasks =
    (await (await fetch(`${trustUrl}/Task?_count=100`)).json()).entry?.map((e) => e.resource) ?? [];
  for (const t of trustTasks) {
    say(`  trust Task ${t.identifier?.[0]?.value}: ${t.status} / ${t.businessStatus?.coding?.[0]?.code}`);
  }
  say(
    '\nDemo complete: the referral went in, was acknowledged, and every update reached the trust and the GP',
  );
  say(
    'exactly once, only where the person agreed; the crisis referral was answered with the crisis pathway.',
  );
  rmSync(dir, { recursive: true, force: true });
  shutdown(0);
}

main().catch((err) => fail(err.message));
