// `npm run demo` as a newcomer runs it (scripts/demo.mjs, the built dist/): with --keep it must leave
// the partners and navbridge running, and everything it prints must hold against them — each count is
// explained and matches navbridge's exchanges, each withheld exchange it lists is one navbridge stored
// as withheld (same partner, record and reason), each partner URL answers 200, every delivered text
// names only its own person and the site's crisis hours. Stopped (or run without --keep), it must leave
// no process, no Redis key under its prefix and no PostgreSQL schema behind.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../support/db.js';
import {
  crisisHoursProblems,
  demoPeople,
  personOf,
  siteCrisisContacts,
  stringsOf,
  wrongPersonProblems,
} from '../support/demo-records.js';
import { REPO_ROOT, track } from '../support/processes.js';
import { connectRedis, keysUnder, TEST_REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const DEMO_TIMEOUT_MS = 120_000;

interface DemoRun {
  child: ChildProcess;
  exit: ReturnType<typeof track>;
  out: () => string;
}

const running: DemoRun[] = [];

function runDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'demo.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const run = { child, exit: track(child), out: () => out };
  running.push(run);
  return run;
}

afterAll(async () => {
  // SIGTERM, not SIGKILL: the demo then stops its own children and removes its keys and schema.
  for (const r of running)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(running.map((r) => r.exit));
});

function match(text: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`the demo printed no ${what}:\n${text}`);
  return m;
}

/** What the demo says this run's PostgreSQL schema and Redis key prefix are. */
function runState(out: string) {
  const m = match(out, /PostgreSQL schema (\w+), Redis keys under ([\w-]+):\)/, 'schema and prefix');
  return { schema: m[1] as string, prefix: m[2] as string };
}

async function redisKeys(prefix: string): Promise<string[]> {
  const redis = connectRedis();
  try {
    return await keysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const schemaExists = async (schema: string) =>
  (await query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).length > 0;

const refuses = async (url: string) =>
  fetch(url).then(
    () => false,
    () => true,
  );

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The section of the demo's output that starts with the step line containing `title`. */
function section(out: string, title: string): string {
  const start = out.indexOf(title);
  if (start < 0) throw new Error(`the demo printed no "${title}" step:\n${out}`);
  const next = out.indexOf('\n▶ ', start);
  const end = out.indexOf('\nDemo complete', start);
  return out.slice(start, Math.min(...[next, end].filter((i) => i > 0), out.length));
}

describe('npm run demo', () => {
  it(
    'with --keep: what it prints holds against navbridge and the partners; stopping it leaves nothing behind',
    async () => {
      const demo = runDemo(['--keep']);
      await waitFor(async () => demo.out().includes('  stop: ') || demo.child.exitCode !== null, {
        timeoutMs: DEMO_TIMEOUT_MS,
        what: 'the demo to finish its tour',
      });
      const out = demo.out();
      expect(demo.child.exitCode, out).toBeNull();
      const { schema, prefix } = runState(out);
      const key = match(
        out,
        /curl -H 'x-api-key: (\w+)' '?(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\//,
        'API key',
      )[1];
      const base = match(
        out,
        /curl -H 'x-api-key: \w+' '?(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\//,
        'API base',
      )[1];
      const api = async (p: string) => {
        const res = await fetch(`${base}${p}`, { headers: { 'x-api-key': key as string } });
        expect(res.status, p).toBe(200);
        return res.json();
      };

      // Counts: each line says what it counts, and the numbers are navbridge's own per referral.
      const counts = section(out, 'Waiting for every exchange');
      const blocks = [...counts.matchAll(/^ {2}referral (\S+) — [^\n]+:\n((?: {4}[^\n]+\n)+)/gm)];
      expect(blocks.length).toBe(3);
      for (const [, id, lines] of blocks) {
        const printed: Record<string, number> = {};
        for (const line of (lines as string).trimEnd().split('\n')) {
          const m = match(line, /^ +(\d+) ([\w-]+) — (.+)$/, `count line with its meaning (${line})`);
          printed[m[2] as string] = Number(m[1]);
        }
        const detail = (await api(`/api/v1/referrals/${id}`)) as { exchanges: { status: string }[] };
        const stored: Record<string, number> = {};
        for (const x of detail.exchanges) stored[x.status] = (stored[x.status] ?? 0) + 1;
        expect(printed, `counts of referral ${id}`).toEqual(stored);
      }

      // Withheld: every exchange navbridge stored as withheld or unroutable, listed with its own reason.
      const withheldText = section(out, 'What navbridge withheld');
      const listed = [
        ...withheldText.matchAll(
          /^ {4}(withheld-no-consent|no-route) \((by consent|by what partners receive)\): partner (\S+), record (\S+) (\S+) v(\d+), exchange (\S+)\n {6}reason: (.+)$/gm,
        ),
      ];
      expect(listed.map((m) => m[1]).sort()).toEqual(['no-route', 'withheld-no-consent']);
      for (const [, status, , partner, recordType, sourceId, version, id, reason] of listed) {
        const x = (await api(`/api/v1/exchanges/${id}`)) as Record<string, unknown>;
        expect({
          status: x.status,
          partnerId: x.partnerId ?? '(none)',
          recordType: x.recordType,
          sourceId: x.sourceId,
          version: String(x.version),
          statusReason: x.statusReason,
        }).toEqual({ status, partnerId: partner, recordType, sourceId, version, statusReason: reason });
      }
      expect(listed.find((m) => m[1] === 'withheld-no-consent')?.slice(3, 5)).toEqual([
        'chapel-allerton-gp',
        'assessment',
      ]);
      const stored = await query<{ n: string }>(
        `SELECT count(*) AS n FROM ${schema}.exchanges WHERE status IN ('withheld-no-consent', 'no-route')`,
      );
      expect(Number(stored[0]?.n)).toBe(listed.length);
      expect(out).toContain(`${listed.length} exchange(s) were not sent on purpose`);

      // Partner URLs: each answers 200 with the resource it names, and nothing landed unlisted.
      const urls = [
        ...section(out, 'Where every resource landed').matchAll(/^ {4}(http:\/\/\S+\/fhir)\/(\w+)\/(\S+)$/gm),
      ];
      const partnerBases = [...new Set(urls.map((m) => m[1] as string))];
      expect(partnerBases.length).toBe(2);
      const people = demoPeople();
      const contacts = siteCrisisContacts();
      const problems: string[] = [];
      let letters = 0;
      for (const [url, , type, id] of urls) {
        const res = await fetch(url as string);
        expect(res.status, url).toBe(200);
        const resource = (await res.json()) as { resourceType: string; id: string };
        expect([resource.resourceType, resource.id]).toEqual([type, id]);
        // Every text delivered names only its own person and gives crisis contacts the site's hours.
        const about = personOf(resource, people);
        expect(about.length, `${url} is about ${about.map((p) => p.file).join(', ')}`).toBeLessThanOrEqual(1);
        const texts = stringsOf(resource);
        letters += texts.filter((t) => t.startsWith('Dear ')).length;
        for (const t of texts) {
          if (about[0]) problems.push(...wrongPersonProblems(t, about[0], people).map((p) => `${url}: ${p}`));
          problems.push(...crisisHoursProblems(t, contacts).map((p) => `${url}: ${p}`));
        }
      }
      expect(problems).toEqual([]);
      expect(letters).toBeGreaterThanOrEqual(2);
      for (const partnerBase of partnerBases) {
        let total = 0;
        for (const type of new Set(urls.filter((m) => m[1] === partnerBase).map((m) => m[2]))) {
          const b = (await (await fetch(`${partnerBase}/${type}?_count=1000`)).json()) as {
            entry?: unknown[];
          };
          total += b.entry?.length ?? 0;
        }
        expect(urls.filter((m) => m[1] === partnerBase).length).toBe(total);
      }

      // Still running: its processes and Redis keys exist until it is stopped.
      const pids =
        match(out, /processes: +([\d ]+)\n/, 'process ids')[1]
          ?.trim()
          .split(/ +/)
          .map(Number) ?? [];
      expect(pids.length).toBe(4);
      expect(pids.every(isAlive)).toBe(true);
      expect((await redisKeys(prefix)).length).toBeGreaterThan(0);

      demo.child.kill('SIGTERM');
      expect(await demo.exit).toEqual({ code: 0, signal: null });
      expect(demo.out()).toMatch(/Stopped the partners and navbridge; deleted \d+ Redis keys/);
      expect(await redisKeys(prefix)).toEqual([]);
      expect(await schemaExists(schema)).toBe(false);
      expect(pids.filter(isAlive)).toEqual([]);
      for (const partnerBase of partnerBases) expect(await refuses(`${partnerBase}/metadata`)).toBe(true);
    },
    DEMO_TIMEOUT_MS * 2,
  );

  it(
    'without --keep: stops everything itself and leaves no Redis key or schema behind',
    async () => {
      const demo = runDemo([]);
      expect(await demo.exit).toEqual({ code: 0, signal: null });
      const out = demo.out();
      expect(out).toContain('Demo complete');
      expect(out).not.toContain('Still running');
      const { schema, prefix } = runState(out);
      expect(await redisKeys(prefix)).toEqual([]);
      expect(await schemaExists(schema)).toBe(false);
      const partners = [...out.matchAll(/mode\): +(http:\/\/\S+)$/gm)].map((m) => m[1] as string);
      expect(partners.length).toBe(2);
      for (const p of partners) expect(await refuses(`${p}/metadata`)).toBe(true);
    },
    DEMO_TIMEOUT_MS,
  );

  it('refuses an unknown argument, saying how to call it', async () => {
    const demo = runDemo(['--kep']);
    expect(await demo.exit).toEqual({ code: 2, signal: null });
    expect(demo.out()).toContain('usage: node scripts/demo.mjs [--keep]');
  });
});
