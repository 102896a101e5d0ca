#!/usr/bin/env node
// `npm run demo [-- --keep]`: navbridge end to end on this machine. Starts two sandbox partner FHIR
// servers (a trust, and a GP practice in document mode), the navbridge API and a worker as their own
// processes, runs three people's referrals through the loop, and prints what each count means, what
// navbridge withheld and why, and the partner URL of everything that landed. Without --keep it then
// stops everything and removes its Redis keys and PostgreSQL schema; with --keep it runs until stopped.
// Needs PostgreSQL and Redis; fails within seconds, saying how to start them, when they are missing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import { configYaml, demoClients } from './demo/navbridge.mjs';
import {
  deleteRedisKeys,
  dropSchema,
  freePort,
  preflight,
  processGroup,
  waitFor,
} from './demo/processes.mjs';
import { countLines, landedResources, UNSETTLED, withheldLines } from './demo/report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = randomBytes(3).toString('hex');
// Per run, so two demos never share state, and the end of a run removes exactly what it made.
const SCHEMA = `navbridge_demo_${RUN}`;
const REDIS_PREFIX = `navbridge-demo-${RUN}`;
const SITE = 'leeds-north';
const TRUST_CLIENT = 'leeds-trust-client';
// Exchange statuses that end well: sent and acknowledged, received, or kept from partners on purpose.
const FINISHED = ['delivered', 'received', 'withheld-no-consent', 'no-route', 'superseded'];
const USAGE = 'usage: node scripts/demo.mjs [--keep]   (--keep: leave the partners and navbridge running)';

// Routine referrals from the trust, each followed by the navigator's journey with the person.
const PEOPLE = [
  { referral: 'trust-referral.json', journey: 'navigator-journey.json' },
  { referral: 'trust-referral-no-gp-sharing.json', journey: 'navigator-journey-no-gp-sharing.json' },
];

const group = processGroup(ROOT);
let dir;
let stopping;
/** Set once PostgreSQL and Redis answered: from then on the run may have made keys and a schema. */
let madeState = false;

const say = (s) => process.stdout.write(`${s}\n`);
const step = (s) => say(`\n▶ ${s}`);
const readDemo = (file) => JSON.parse(readFileSync(path.join(ROOT, 'demo', file), 'utf8'));

/** Stops every process, then removes the run's Redis keys, schema and config; exits with `code`. */
function shutdown(code) {
  stopping ??= (async () => {
    await group.stopAll();
    if (!madeState) process.exit(code);
    const cleanups = await Promise.allSettled([
      deleteRedisKeys(REDIS_URL, REDIS_PREFIX),
      dropSchema(DATABASE_URL, SCHEMA),
    ]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    const [keys, schema] = cleanups;
    say(
      `\nStopped the partners and navbridge; ${keys.status === 'fulfilled' ? `deleted ${keys.value} Redis keys under ${REDIS_PREFIX}:` : `could not delete the Redis keys under ${REDIS_PREFIX}: (${keys.reason?.message})`}; ${schema.status === 'fulfilled' ? `dropped PostgreSQL schema ${SCHEMA}` : `could not drop PostgreSQL schema ${SCHEMA} (${schema.reason?.message})`}.`,
    );
    process.exit(cleanups.some((c) => c.status === 'rejected') ? code || 1 : code);
  })();
  return stopping;
}
function fail(message, hint) {
  if (stopping) return;
  process.stderr.write(`\ndemo: ${message}\n${hint ? `  ${hint}\n` : ''}`);
  void shutdown(1);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--keep')) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const keep = args.includes('--keep');

  step('Checking PostgreSQL and Redis');
  const missing = await preflight(DATABASE_URL, REDIS_URL);
  if (missing) return fail(missing.message, missing.hint);
  madeState = true;
  say(`  both reachable (this run: PostgreSQL schema ${SCHEMA}, Redis keys under ${REDIS_PREFIX}:)`);

  step('Starting two sandbox partner FHIR servers');
  // The sandbox partners are test support (test/support/sandbox), run from source through tsx.
  const sandbox = ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'sandbox', 'main.ts')];
  const urlOf = ({ line }) => JSON.parse(line).url;
  const [trustUrl, gpUrl] = (
    await Promise.all([
      group.start('trust server', [...sandbox, '--name', 'trust'], {}, (l) => l.startsWith('{"ready"')),
      group.start('GP server', [...sandbox, '--name', 'gp'], {}, (l) => l.startsWith('{"ready"')),
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
  dir = mkdtempSync(path.join(tmpdir(), 'navbridge-demo-'));
  const configFile = path.join(dir, 'navbridge.config.yaml');
  writeFileSync(
    configFile,
    configYaml({
      root: ROOT,
      site: SITE,
      redisPrefix: REDIS_PREFIX,
      trustClient: TRUST_CLIENT,
      base,
      apiKey,
      trustUrl,
      gpUrl,
    }),
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
  group
    .start('navbridge serve', [cli, 'serve', '--port', String(port)], env, () => false)
    .catch((e) => fail(e.message));
  await waitFor(async () => (await fetch(`${base}/health`)).ok, 'the API to answer /health');
  group.start('navbridge worker', [cli, 'worker'], env, () => false).catch((e) => fail(e.message));
  say(`  API on ${base} (FHIR at ${base}/fhir, navigator API at ${base}/api/v1)`);

  const { asTrust, asNavigator, json, referralDetail, referralIds } = demoClients({
    base,
    apiKey,
    privateKey,
    trustClient: TRUST_CLIENT,
  });

  /** The trust refers `file`'s person in; resolves with the Task and navbridge's new referral id. */
  async function refer(file) {
    const before = new Set(await referralIds());
    const created = await asTrust('POST', '/fhir/ServiceRequest', readDemo(file));
    await json(created, `referral ${file}`);
    const location = created.headers.get('location');
    say(`  201 Created, Location: ${location}`);
    const srId = location?.split('/ServiceRequest/')[1]?.split('/')[0];
    const task = await waitFor(async () => {
      const bundle = await json(
        await asTrust('GET', `/fhir/Task?focus=ServiceRequest/${srId}`),
        'Task search',
      );
      return bundle.entry?.[0]?.resource;
    }, 'the referral Task');
    const id = await waitFor(
      async () => (await referralIds()).find((r) => !before.has(r)),
      'the navigator to see the referral',
    );
    return { task, id };
  }

  const referrals = [];
  for (const person of PEOPLE) {
    const journey = readDemo(person.journey);
    step(`The trust refers ${journey.person} in (POST /fhir/ServiceRequest, signed JWT)`);
    const { task, id } = await refer(person.referral);
    say(`  acknowledgement: Task ${task.status} / ${task.businessStatus?.coding?.[0]?.code}`);
    const detail = await referralDetail(id);
    say(
      `  the navigator sees referral ${id}: ${detail.status}, first contact due ${detail.clocks?.contact?.dueAt ?? '—'}`,
    );
    referrals.push({ id, who: journey.person });

    say('  the navigator works with the person (POST /api/v1/records, API key):');
    const v2 = { ...detail.record.payload, version: detail.record.version + 1, sharing: journey.sharing };
    await json(
      await asNavigator('POST', '/api/v1/records', { recordType: 'referral', record: v2 }),
      'sharing agreement',
    );
    say(`    sharing: ${journey.sharingSummary} (referral version ${v2.version})`);
    for (const s of journey.steps) {
      const record = JSON.parse(JSON.stringify(s.record).replaceAll('{{referralId}}', id));
      const result = await json(
        await asNavigator('POST', '/api/v1/records', { recordType: s.recordType, record }),
        s.label,
      );
      const queued = result.exchanges.filter((x) => !['withheld-no-consent', 'no-route'].includes(x.status));
      const held = result.exchanges.length - queued.length;
      say(
        `    ${s.label}: ${result.outcome}, ${queued.length} exchange(s) queued${held ? `, ${held} withheld or unroutable` : ''}`,
      );
    }
  }

  step('A third referral: Llŷr Jones (demo/trust-crisis-referral.json) is in crisis');
  const crisis = await refer('trust-crisis-referral.json');
  referrals.push({ id: crisis.id, who: 'Llŷr Jones (demo/trust-crisis-referral.json)' });
  say(
    `  Task ${crisis.task.status} / ${crisis.task.statusReason?.coding?.[0]?.code}: the answer carries the crisis pathway`,
  );
  say(`  "${(crisis.task.note?.[0]?.text ?? '').slice(0, 110)}…"`);

  step('Waiting for every exchange to be delivered or kept back, then counting them');
  const settled = [];
  for (const r of referrals) {
    const detail = await waitFor(
      async () => {
        const d = await referralDetail(r.id);
        return d.exchanges.some((x) => UNSETTLED.includes(x.status)) ? undefined : d;
      },
      'deliveries',
      90_000,
    );
    settled.push({ ...r, exchanges: detail.exchanges });
  }
  say('  An exchange is one version of one record for one partner; each number below counts exchanges.');
  for (const r of settled) {
    say(`  referral ${r.id} — ${r.who}:`);
    for (const line of countLines(r.exchanges)) say(`    ${line}`);
  }
  say('  all referrals:');
  for (const line of countLines(settled.flatMap((r) => r.exchanges))) say(`    ${line}`);

  step("What navbridge withheld, and why (the exchanges' stored status and reason)");
  let withheld = 0;
  for (const r of settled) {
    const lines = withheldLines(r.exchanges);
    withheld += lines.length;
    if (lines.length) say(`  referral ${r.id} — ${r.who}:`);
    for (const line of lines) say(`    ${line}`);
  }
  if (!withheld) say('  nothing');

  step('Where every resource landed (GET any of these URLs)');
  const landed = {};
  for (const [name, url] of [
    ['trust (transaction)', trustUrl],
    ['GP practice (document)', gpUrl],
  ]) {
    landed[name] = await landedResources(url);
    const counts = new Map();
    for (const { type } of landed[name]) counts.set(type, (counts.get(type) ?? 0) + 1);
    say(
      `  ${name}: ${[...counts.entries()].map(([t, n]) => `${n} ${t}`).join(', ') || 'nothing'} (resources stored at the partner)`,
    );
    for (const { url: u } of landed[name]) say(`    ${u}`);
  }
  const trustTasks =
    (await (await fetch(`${trustUrl}/Task?_count=100`)).json()).entry?.map((e) => e.resource) ?? [];
  for (const t of trustTasks) {
    say(`  trust Task ${t.identifier?.[0]?.value}: ${t.status} / ${t.businessStatus?.coding?.[0]?.code}`);
  }
  const all = settled.flatMap((r) => r.exchanges);
  const undelivered = all.filter((x) => !FINISHED.includes(x.status)).length;
  say(
    `\nDemo complete: three referrals went in and were answered; ${withheld} exchange(s) were not sent on purpose (withheld by consent, or no partner receives them: listed above with navbridge's reasons); ${undelivered ? `${undelivered} exchange(s) were NOT delivered (see the counts above)` : 'everything else reached the trust and the GP'}.`,
  );
  if (undelivered) process.exitCode = 1;

  if (!keep) return shutdown(process.exitCode ?? 0);
  step('Still running (--keep): look around');
  say(`  partners:   ${trustUrl}/Task   ${gpUrl}/Bundle   (any URL listed above)`);
  say(`  navbridge:  curl -H 'x-api-key: ${apiKey}' '${base}/api/v1/referrals?status=closed'`);
  say(
    `              curl -H 'x-api-key: ${apiKey}' ${base}/api/v1/exchanges/EXCHANGE_ID   (an exchange id listed above)`,
  );
  say(`              ${base}/api/docs (the API's description), ${base}/fhir/metadata`);
  // The URL as given may hold a password: name the variable instead of printing it.
  const psqlUrl = process.env.DATABASE_URL ? '"$DATABASE_URL"' : DATABASE_URL;
  say(
    `  PostgreSQL: psql ${psqlUrl} -c 'SET search_path = ${SCHEMA}' -c 'SELECT status, count(*) FROM exchanges GROUP BY 1'`,
  );
  say(`  processes:  ${group.pids().join(' ')}`);
  say(
    `  stop:       press Ctrl-C here, or kill -TERM ${process.pid} — that stops them all and removes the run's Redis keys and schema`,
  );
}

main().catch((err) => fail(err.message));
