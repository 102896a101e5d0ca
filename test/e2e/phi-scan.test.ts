// The PHI scan: records full of markers go through every path navbridge has — partner intake over
// FHIR and BaRS (valid and refused), the navigator API and its reads, the CLI (`submit`, the dead-letter
// commands), the worker's deliveries to a trust and a GP, a partner's error answer that quotes patient
// data, a dead letter and its replay, a record whose mapping fails (kept by store first) — with
// `DEBUG=*` and `LOG_LEVEL=trace`. Then no marker and no NHS number may appear in any navbridge
// process's output, in any Redis key or value, or in a dump of navbridge's database schema.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OperationOutcome, Patient } from 'fhir/r4.js';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../support/db.js';
import { type E2E, SITE, startE2E, TRUST } from '../support/e2e.js';
import { REPO_ROOT } from '../support/processes.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { barsMessage, json, loopClient, type Person, person, trustReferral } from './loop.js';

const MARK = `PHIMARK${randomBytes(6).toString('hex').toUpperCase()}`;
const mark = (field: string) => `${MARK}${field}`;

/** Every place a marker or a person's NHS number is found in `text`, with a little context. */
function findings(where: string, text: string, secrets: string[]): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    let i = text.indexOf(s);
    while (i >= 0 && out.length < 20) {
      out.push(`${where}: …${text.slice(Math.max(0, i - 80), i + s.length + 40)}…`);
      i = text.indexOf(s, i + s.length);
    }
  }
  return out;
}

/** A copy of the shipped mappings where an `escalated` event fails to map (it is kept as a failure). */
function mappingsWithBrokenEscalation(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-phi-'));
  cpSync(path.join(REPO_ROOT, 'mappings'), path.join(dir, 'mappings'), { recursive: true });
  writeFileSync(
    path.join(dir, 'mappings/sites/leeds-north/event.yaml'),
    `recordType: event
resources:
  - name: broken-flag
    resourceType: Flag
    profile: navbridge-flag
    when: $record.type = 'escalated'
    subId: broken
    expression: |
      { "status": "not-a-status", "code": { "text": "x" }, "subject": { "reference": $ctx.referral.patient.reference } }
`,
  );
  return path.join(dir, 'mappings');
}

/** The referral of the demo with a marker in every free-text and identifying field. */
function markedReferral(p: Person) {
  const sr = trustReferral(p);
  const patient = sr.contained?.find((r): r is Patient => r.resourceType === 'Patient');
  if (!patient) throw new Error('the demo referral has no Patient');
  patient.name = [{ family: mark('Family'), given: [mark('Given')] }];
  patient.telecom = [{ system: 'email', value: `${mark('Email')}@example.org` }];
  patient.address = [{ line: [mark('Line')], city: mark('City'), postalCode: 'LS7 4HA' }];
  sr.reasonCode = [{ text: mark('Reason') }];
  sr.note = [{ text: mark('Note') }];
  return sr;
}

/** Every key and value in Redis, whatever their type, as text. */
async function redisText(redis: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', '1000');
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await redis.type(key);
      if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

describe('PHI scan: markers through every path, none in logs, Redis or the database', () => {
  let e: E2E;
  let mappings: string;
  const cli: { args: string[]; stdout: string; stderr: string; status: number | null }[] = [];
  const people = [person('PHIA'), person('PHIB')];
  const secrets = [MARK, ...people.map((p) => p.nhs)];

  /** A CLI command with the processes' environment (and DEBUG=*), kept for the scan. Asynchronous, so
   * that the test's own HTTP connections stay alive meanwhile. */
  function runCli(args: string[]): Promise<(typeof cli)[number]> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join('dist', 'cli', 'run.js'), ...args],
        {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...e.env },
          timeout: 60_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const run = {
            args,
            stdout,
            stderr,
            status: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          };
          cli.push(run);
          resolve(run);
        },
      );
    });
  }

  beforeAll(async () => {
    mappings = mappingsWithBrokenEscalation();
    e = await startE2E({ env: { DEBUG: '*', LOG_LEVEL: 'trace' }, mappingsDir: mappings });
  }, 120_000);
  afterAll(async () => {
    await e?.close();
    rmSync(path.dirname(mappings), { recursive: true, force: true });
  }, 30_000);
  afterEach((ctx) => {
    // navbridge's own log lines (JSON), without the debug output around them.
    if (ctx.task.result?.state === 'fail' && e)
      process.stderr.write(
        `${e
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{') || l.startsWith('---'))
          .join('\n')
          .slice(-30_000)}\n`,
      );
  });

  const { navigator, refer, agreeSharing, exchanges, settled } = loopClient(() => e);

  it('feeds marked records through intake, the navigator API, the CLI, delivery, failures and dead letters', async () => {
    const [a, b] = people as [Person, Person];
    // Partner intake: a FHIR ServiceRequest and a BaRS message, both marked.
    const { referralId } = await refer(markedReferral(a));
    const bars = await e.asTrust('POST', '/fhir/$process-message', barsMessage(markedReferral(b)));
    expect(bars.status).toBe(200);
    // Refused intake: a marked value where a code belongs, and an unknown field holding a marked value
    // (its path names the field, as every problem's path does; the value is never repeated).
    const bad = markedReferral(person('PHIC'));
    for (const body of [
      { ...bad, status: mark('Status') },
      { ...bad, unknownElement: mark('Value') },
    ]) {
      const res = await e.asTrust('POST', '/fhir/ServiceRequest', body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain(MARK);
    }

    // The navigator: sharing with the trust and the GP, then steps with marked free text.
    await agreeSharing(referralId, {
      statusUpdates: true,
      withReferrer: true,
      withGp: true,
      withOnwardServices: false,
    });
    const event = (id: string, type: string, fields: Record<string, unknown>) => ({
      recordType: 'event',
      record: { id, version: 1, referralId, type, at: '2026-11-21T10:05:00+00:00', ...fields },
    });
    const contacted = await navigator<{ outcome: string }>(
      'POST',
      '/api/v1/records',
      event(`${a.tag}-EV-1`, 'contacted', { method: 'phone', consentConfirmed: true }),
      'contacted',
    );
    expect(contacted.outcome).toBe('accepted');

    // The trust answers the next write 422 quoting patient data: a dead letter.
    await settled(referralId);
    await e.trust.injectFaults({
      status: 422,
      outcome: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'invalid', diagnostics: `${mark('PartnerAnswer')} ${a.nhs}` }],
      } satisfies OperationOutcome,
    });
    const outcome = await navigator<{ outcome: string }>(
      'POST',
      '/api/v1/records',
      event(`${a.tag}-EV-2`, 'outcome-recorded', {
        measure: 'other',
        measureName: mark('Measure'),
        score: 7,
      }),
      'outcome',
    );
    expect(outcome.outcome).toBe('accepted');
    const dead = await waitFor(
      async () => (await exchanges(referralId)).find((x) => x.partner_id === TRUST.id && x.status === 'dead'),
      { what: 'a dead letter at the trust', timeoutMs: 45_000, intervalMs: 200 },
    );

    // A record whose mapping fails (store first keeps it), with marked text: MAPPING_ERROR (500: the
    // deployment's mapping is at fault, not the input), naming the mapping, never the record's values.
    const escalated = await e.asNavigator(
      'POST',
      '/api/v1/records',
      event(`${a.tag}-EV-3`, 'escalated', { summary: mark('Escalation') }),
    );
    expect(escalated.status).toBe(500);
    const mappingError = await escalated.text();
    expect(mappingError).toContain('resources[broken-flag]');
    expect(mappingError).not.toContain(MARK);

    // The CLI: submit a marked record; list, show and replay the dead letter.
    const dir = mkdtempSync(path.join(tmpdir(), 'nb-phi-cli-'));
    const file = path.join(dir, 'event.json');
    writeFileSync(
      file,
      JSON.stringify(
        event(`${a.tag}-EV-4`, 'discharged', {
          reason: 'mutual-agreement',
          summary: mark('Summary'),
          letter: mark('Letter'),
        }).record,
      ),
    );
    const submitted = await runCli(['submit', 'event', file, '--site', SITE]);
    expect(submitted.status, submitted.stderr).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    expect((await runCli(['dead-letters', 'list'])).status).toBe(0);
    expect((await runCli(['dead-letters', 'show', dead.id])).stdout).toContain(referralId);
    expect((await runCli(['dead-letters', 'replay', dead.id])).status).toBe(0);

    // Admin and navigator reads of the same data.
    const admin = await fetch(`${e.base}/admin/exchanges/${dead.id}`, {
      headers: { authorization: `Bearer ${e.env.NAVBRIDGE_ADMIN_TOKEN}` },
    });
    expect(admin.status).toBe(200);
    await json(await e.asNavigator('GET', `/api/v1/referrals/${encodeURIComponent(referralId)}`), 'referral');
    await json(await e.asTrust('GET', `/fhir/Task?focus=ServiceRequest/${referralId}`), 'Task search');

    // Everything settles: the replayed dead letter and the discharge reach the trust.
    const rows = await settled(referralId, 60_000);
    expect(rows.filter((x) => x.status === 'dead')).toEqual([]);
  }, 180_000);

  it("finds no marker and no NHS number in any navbridge process's output (DEBUG=*, trace)", () => {
    const found = [
      ...findings('navbridge serve', e.serve.output(), secrets),
      ...findings('navbridge worker', e.worker.output(), secrets),
      ...cli.flatMap((c) => findings(`navbridge ${c.args.join(' ')} (stderr)`, c.stderr, secrets)),
      ...cli
        .filter((c) => c.args[1] !== 'show')
        .flatMap((c) => findings(`navbridge ${c.args.join(' ')} (stdout)`, c.stdout, secrets)),
    ];
    expect(found).toEqual([]);
    // The scan saw real output: the debug switch was on in every navbridge process.
    for (const out of [e.serve.output(), e.worker.output(), cli[0]?.stderr])
      expect(out).toContain('ioredis:');
  });

  it('finds no marker and no NHS number in Redis', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const text = await redisText(redis);
      expect(text).toContain(e.prefix);
      expect(findings('Redis', text, secrets)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it("finds no marker and no NHS number in a dump of navbridge's database schema", () => {
    const url = new URL(TEST_DATABASE_URL);
    const dump = spawnSync(
      'pg_dump',
      [
        '--data-only',
        '--schema',
        e.t.schema,
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        url.username || 'postgres',
        url.pathname.slice(1),
      ],
      { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
    );
    expect(dump.status, dump.stderr).toBe(0);
    expect(dump.stdout).toContain('exchanges');
    // Per table: the dump's COPY sections.
    const tables = dump.stdout.split(/^COPY /m).slice(1);
    expect(tables.length).toBeGreaterThan(3);
    const found = tables.flatMap((t) => findings(`table ${t.slice(0, t.indexOf(' '))}`, t, secrets));
    expect(found).toEqual([]);
  });
});
