#!/usr/bin/env node
// Fault soak: runs the seeded random fault schedule (test/integration/faults/random-schedule.test.ts)
// for many seeds with longer schedules, one run at a time, and stops at the first seed that breaks
// the promise (0 lost, 0 duplicated, 0 reordered per person at every partner), printing how to
// reproduce it. Needs what the integration tests need (PostgreSQL on 127.0.0.1:5432, redis-server).
//
//   node scripts/soak.mjs [--runs 20] [--events 60] [--seed 1]   (seeds seed, seed+1, …)
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    events: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 31)) },
  },
});
const runs = Number(values.runs);
const first = Number(values.seed);
const started = Date.now();
for (let i = 0; i < runs; i++) {
  const seed = first + i;
  const run = spawnSync('npx', ['vitest', 'run', 'test/integration/faults/random-schedule.test.ts'], {
    env: { ...process.env, NAVBRIDGE_FAULT_SEED: String(seed), NAVBRIDGE_FAULT_EVENTS: values.events },
    encoding: 'utf8',
  });
  const figures = (run.stdout.match(/\[faults\] random schedule \{.*\}/) ?? ['(no figures)'])[0];
  console.log(`seed ${seed}: ${run.status === 0 ? 'ok' : 'FAILED'} ${figures}`);
  if (run.status !== 0) {
    console.log(run.stdout.slice(-4000));
    console.log(
      `reproduce: NAVBRIDGE_FAULT_SEED=${seed} NAVBRIDGE_FAULT_EVENTS=${values.events} npx vitest run test/integration/faults/random-schedule.test.ts`,
    );
    process.exit(1);
  }
}
console.log(`${runs} runs ok in ${Math.round((Date.now() - started) / 1000)} s`);
