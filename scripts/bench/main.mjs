#!/usr/bin/env node
// `npm run bench`: navbridge's speed on this machine, side by side with a bare BullMQ queue + worker
// (README "Benchmark"). Parts: stages (mapping/validation cost in process), e2e (end to end, 1 and 2
// workers, with the baseline interleaved, and the RSS of API and worker), scale (1, 2, 3 API
// processes + workers), intake (steady 50/s and the step search, with /health meanwhile), backlog
// (10,000 exchanges queued while the partner is down, then recovery). Prints a table and writes JSON.
//
//   npm run bench [-- --quick] [--only=e2e,scale,intake,stages,backlog] [--out FILE] [--target DIR]
//                 [--compare BEFORE.json] [--backlog N] [--persons N] [--profile] [--update]
// --update: rerun the --only parts into the existing --out file, keeping its other parts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.mjs';
import { runBacklog } from './parts/backlog.mjs';
import { runBaseline, runNavbridgeE2E } from './parts/e2e.mjs';
import { runIntake } from './parts/intake.mjs';
import { runPartnerCapacity } from './parts/partner.mjs';
import { runStages } from './parts/stages.mjs';
import { hotSpots } from './profile.mjs';
import { MIX } from './records.mjs';
import { HERE, killChildren, startReceiver, withAdmin } from './rig.mjs';
import { rowsOf } from './rows.mjs';
import { formatComparison, formatTable } from './stats.mjs';

const PARTS = ['stages', 'e2e', 'scale', 'intake', 'backlog'];
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    target: { type: 'string' },
    compare: { type: 'string' },
    backlog: { type: 'string' },
    persons: { type: 'string' },
    profile: { type: 'boolean', default: false },
    update: { type: 'boolean', default: false },
  },
});
const only = values.only ? values.only.split(',').map((s) => s.trim()) : PARTS;
for (const p of only)
  if (!PARTS.includes(p)) throw new Error(`--only: unknown part ${p} (parts: ${PARTS.join(', ')})`);
const quick = values.quick;
const ROOT = path.resolve(HERE, '..', '..');
const size = {
  persons: Number(values.persons ?? (quick ? 60 : 300)),
  backlog: Number(values.backlog ?? (quick ? 1_000 : 10_000)),
  steadySeconds: quick ? 4 : 10,
  searchSeconds: quick ? 3 : 5,
  stageMs: quick ? 400 : 1_500,
};
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/navbridge_bench';
const opts = {
  target: path.resolve(values.target ?? ROOT),
  databaseUrl: serverUrl,
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/7',
};
const out = path.resolve(values.out ?? path.join(ROOT, 'bench', 'results.json'));
const say = (s) => process.stdout.write(`${s}\n`);

/** The bench's own database, created on first use (its schemas are made and dropped per part). */
async function ensureDatabase(url) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  await withAdmin(u.toString(), async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE ${name}`);
  });
}

async function main() {
  const started = Date.now();
  await ensureDatabase(opts.databaseUrl);
  const machine = await describeMachine(opts);
  say(
    `navbridge bench: ${opts.target} @ ${machine.commit?.slice(0, 7)}${machine.dirty ? ' (uncommitted changes)' : ''}`,
  );
  say(
    `machine: ${machine.cpus} CPUs, load ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
  );
  say(`parts: ${only.join(', ')}${quick ? ' (quick)' : ''}; mix: ${MIX}`);
  const results = {
    stages: undefined,
    e2e: undefined,
    scale: undefined,
    intake: undefined,
    backlog: undefined,
  };
  const receiver = await startReceiver();
  try {
    if (only.includes('stages')) {
      say('\n[3] stage costs in process');
      results.stages = await runStages(opts, { ms: size.stageMs, say });
    }
    if (only.includes('e2e') || only.includes('scale')) {
      const runs = [];
      const e2e = async (apis, workers, profileDir) => {
        const label = `${apis} API + ${workers} worker${workers > 1 ? 's' : ''}`;
        const r = await runNavbridgeE2E(opts, receiver, {
          apis,
          workers,
          persons: size.persons,
          label,
          profileDir,
        });
        say(
          `  navbridge ${label}: ${r.delivered}/${r.accepted} exchanges, ${r.exchangesPerS.toFixed(1)}/s, accept → receipt p50 ${r.latencyMs.p50.toFixed(0)} / p99 ${r.latencyMs.p99.toFixed(0)} ms, out of order ${r.outOfOrder}, duplicates ${r.duplicates}, answers ${JSON.stringify(r.answers)}`,
        );
        runs.push(r);
        return r;
      };
      const base = async (workers, nb, captured) => {
        const bodies = captured ?? (await receiver.bodies());
        const r = await runBaseline(opts, receiver, bodies, {
          workers,
          count: Math.max(nb.delivered, 500),
          label: `baseline ${workers} worker${workers > 1 ? 's' : ''}`,
        });
        say(
          `  bare BullMQ, ${workers} worker${workers > 1 ? 's' : ''}: ${r.delivered}/${r.accepted}, ${r.exchangesPerS.toFixed(1)}/s, p50 ${r.latencyMs.p50.toFixed(0)} / p99 ${r.latencyMs.p99.toFixed(0)} ms`,
        );
        return r;
      };
      say(
        `\n[1, 5] end to end: ${size.persons} persons (${size.persons * 5} records), 8 connections an API; baseline interleaved`,
      );
      const profileDir = values.profile ? mkdtempSync(path.join(tmpdir(), 'nb-bench-prof-')) : undefined;
      const one = await e2e(1, 1, profileDir);
      if (profileDir) {
        results.profile = {
          api: hotSpots(profileDir, one.pids.api, one.loadMs),
          worker: hotSpots(profileDir, one.pids.worker, one.loadMs),
          dir: profileDir,
        };
        for (const [kind, h] of Object.entries(results.profile).filter(([k]) => k !== 'dir'))
          say(
            `  ${kind} hot spots (self time, ${h.sampledMs} ms sampled, idle ${(h.idleShare * 100).toFixed(0)} %, GC ${(h.gcShare * 100).toFixed(0)} %):\n${h.top.map((t) => `    ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.fn}`).join('\n')}`,
          );
      }
      const bodies = await receiver.bodies();
      const partner = await runPartnerCapacity(receiver, bodies, { seconds: quick ? 2 : 4 });
      if (partner)
        say(
          `  partner capacity, navbridge's payloads at 8 connections: receiver ${partner.receiver.ratePerS}/s (p50 ${partner.receiver.p50} ms), sandbox partner ${partner.sandbox.ratePerS}/s (p50 ${partner.sandbox.p50} ms)`,
        );
      const base1 = await base(1, one, bodies);
      const two = only.includes('e2e') ? await e2e(1, 2) : undefined;
      const base2 = two ? await base(2, two) : undefined;
      results.e2e = { one, base1, two, base2, partner };
      if (only.includes('scale')) {
        say('\n[6] scale: API processes + workers');
        results.scale = { 1: one, 2: await e2e(2, 2), 3: await e2e(3, 3) };
      }
    }
    if (only.includes('intake')) {
      say('\n[2, 5] intake');
      results.intake = await runIntake(opts, receiver, {
        seconds: size.steadySeconds,
        searchSeconds: size.searchSeconds,
        say,
      });
    }
    if (only.includes('backlog')) {
      say(`\n[4] backlog: ${size.backlog} exchanges while the partner is down, then recovery`);
      results.backlog = await runBacklog(opts, { count: size.backlog, say });
      say(
        `  drained in ${results.backlog.drainS.toFixed(1)} s (${results.backlog.drainPerS.toFixed(0)}/s), duplicates ${results.backlog.duplicates}, out of order ${results.backlog.outOfOrder}, missing ${results.backlog.missing}`,
      );
    }
  } finally {
    await receiver.stop();
  }
  machine.loadAverageAfter = (await import('node:os')).loadavg();
  let doc = {
    machine,
    options: { quick, only, ...size, mix: MIX },
    durationS: (Date.now() - started) / 1000,
    results,
  };
  if (values.update && existsSync(out)) {
    // --update: the parts run now replace theirs in the existing file; the rest stays as measured then.
    const old = JSON.parse(readFileSync(out, 'utf8'));
    const fresh = Object.fromEntries(Object.entries(results).filter(([, v]) => v !== undefined));
    const updates = [
      ...(old.updates ?? []),
      { parts: only, at: new Date().toISOString(), machine, options: doc.options },
    ];
    doc = { ...old, results: { ...old.results, ...fresh }, updates };
  }
  const rows = rowsOf(doc.results);
  doc.rows = rows;
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  say(`\n${formatTable(rows)}\n`);
  if (values.compare) {
    const before = JSON.parse(readFileSync(values.compare, 'utf8'));
    say(
      `before (${values.compare}, ${before.machine.commit?.slice(0, 7)}) and after (${machine.commit?.slice(0, 7)}):\n${formatComparison(before.rows, rows)}\n`,
    );
  }
  say(
    `load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')} at the start, ${machine.loadAverageAfter.map((l) => l.toFixed(1)).join(' ')} at the end (${machine.cpus} CPUs)`,
  );
  say(`written: ${path.relative(process.cwd(), out)} in ${doc.durationS.toFixed(0)} s`);
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    // Interrupted: stop the processes started (their schemas in navbridge_bench stay until dropped).
    killChildren();
    process.exit(130);
  });

main().catch((err) => {
  killChildren();
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
