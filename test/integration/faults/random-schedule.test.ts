// Property-style: a random schedule of faults over random per-person journeys, seeded. Two worker
// processes deliver to a partner in each mode (transaction, rest, message, document) on a private
// redis-server, while the schedule submits people's next steps and, between them, injects faults:
// partner unavailable / refusing / partitioned for a while, writes held past the timeout and applied
// late, answers lost after the partner applied the write, a worker SIGKILLed (and a new one started),
// Redis flushed, Redis killed and restarted empty. Then every fault ends and each person's history at
// each partner is judged: 0 lost, 0 duplicated, 0 reordered. The seed is printed; reproduce a run
// with NAVBRIDGE_FAULT_SEED=<seed>; NAVBRIDGE_FAULT_EVENTS=<n> makes the schedule longer (a soak:
// scripts/soak.mjs runs it for many seeds).

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { insertOutbound } from '../../../src/store/exchanges.js';
import { outboundExchange } from '../../support/exchanges.js';
import {
  killAllChildren,
  type RedisServer,
  startRedisServer,
  type WorkerProcess,
} from '../../support/processes.js';
import { waitDelivered } from '../resilience/harness.js';
import { expectPerfect, type FaultRig, MODES, openFaultRig, payloadFor, report } from './rig.js';

const SEED = Number(process.env.NAVBRIDGE_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const EVENTS = Number(process.env.NAVBRIDGE_FAULT_EVENTS ?? 24);
const PERSONS = 5;
const MAX_STEPS = 4;

/** mulberry32: a small seeded generator, enough to make a schedule reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS = [
  'unavailable',
  'refuse',
  'partition',
  'late-apply',
  'lost-answer',
  'kill-worker',
  'redis-flush',
  'redis-restart',
] as const;
type Fault = (typeof FAULTS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`random fault schedule (seed ${SEED})`, () => {
  let redis: RedisServer;
  let rig: FaultRig;
  const workers: WorkerProcess[] = [];
  let workerNo = 0;

  beforeAll(async () => {
    console.log(
      `[faults] random schedule seed=${SEED} events=${EVENTS} (NAVBRIDGE_FAULT_SEED=${SEED} to reproduce)`,
    );
    redis = await startRedisServer();
    rig = await openFaultRig({
      modes: MODES,
      persons: PERSONS,
      redisUrl: redis.url,
      partner: {
        timeoutMs: 1_200,
        retry: { maxAttempts: 100, baseDelayMs: 50, maxDelayMs: 500 },
        circuitBreaker: { failureThreshold: 4, cooldownMs: 600 },
      },
      worker: { leaseMs: 2_500, sweepIntervalMs: 300, requeueAfterMs: 600 },
    });
    rig.redis.on('error', () => {});
    for (const p of rig.partners) rig.queues.queue(p.id).on('error', () => {});
    workers.push(await rig.startWorker(`w${workerNo++}`), await rig.startWorker(`w${workerNo++}`));
  }, 90_000);
  afterAll(async () => {
    await killAllChildren();
    await rig?.close();
  });

  /** Stores the step (PostgreSQL decides) and puts its job on the queue if Redis answers soon. */
  async function submit(personIdx: number, step: number, ids: string[]): Promise<void> {
    for (const p of rig.partners) {
      const ref = `ref-${personIdx}`;
      const { exchange, jobs } = await inTransaction(rig.t.db, (c) =>
        insertOutbound(
          c,
          outboundExchange(rig.persons[personIdx]!, {
            partnerId: p.id,
            sourceId: `ev-${personIdx}-${step}-${randomUUID()}`,
            referralId: ref,
            payload: payloadFor(p.mode, ref, step),
          }),
        ),
      );
      ids.push(exchange.id);
      // With Redis down the job is not queued now: the sweeper finds the head in PostgreSQL.
      await Promise.race([rig.queues.enqueue(jobs).catch(() => {}), sleep(500)]);
    }
  }

  async function inject(fault: Fault, random: () => number): Promise<void> {
    const some = rig.partners.filter(() => random() < 0.6);
    const forMs = 300 + Math.floor(random() * 1_500);
    switch (fault) {
      case 'unavailable':
      case 'refuse':
      case 'partition': {
        const mode = fault === 'partition' ? 'blackhole' : fault;
        for (const p of some) p.proxy.setMode(mode);
        await sleep(forMs);
        for (const p of some) p.proxy.setMode('pass');
        return;
      }
      case 'late-apply':
        for (const p of some) p.proxy.holdNext(1, 2_000 + forMs, (m) => m === 'POST' || m === 'PUT');
        return;
      case 'lost-answer':
        for (const p of some) p.server.injectFaults({ delayMs: 2_000 + forMs });
        return;
      case 'kill-worker': {
        const i = Math.floor(random() * workers.length);
        workers[i]!.signal('SIGKILL');
        await workers[i]!.exited;
        workers[i] = await rig.startWorker(`w${workerNo++}`);
        return;
      }
      case 'redis-flush':
        await Promise.race([rig.redis.flushall().catch(() => {}), sleep(1_000)]);
        return;
      case 'redis-restart':
        await redis.kill();
        await sleep(forMs);
        await redis.start();
        return;
    }
  }

  it('every person’s history at every partner: 0 lost, 0 duplicated, 0 reordered', async () => {
    const random = rng(SEED);
    const journeys = Array.from({ length: PERSONS }, () => 1 + Math.floor(random() * MAX_STEPS));
    const next = Array.from({ length: PERSONS }, () => 1);
    const ids: string[] = [];
    const applied: string[] = [];
    for (let e = 0; e < EVENTS; e++) {
      const open = next.flatMap((s, p) => (s <= journeys[p]! ? [p] : []));
      if (open.length && random() < 0.55) {
        const p = open[Math.floor(random() * open.length)]!;
        await submit(p, next[p]!, ids);
        next[p]! += 1;
      } else {
        const fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
        applied.push(fault);
        await inject(fault, random);
      }
    }
    // The rest of every journey, then the faults end.
    for (const [p, steps] of journeys.entries())
      for (let s = next[p]!; s <= steps; s++) await submit(p, s, ids);
    for (const p of rig.partners) {
      p.proxy.setMode('pass');
      p.server.clearFaults();
    }
    const calm = Date.now();
    await waitDelivered(rig.t, ids, `every exchange (seed ${SEED})`, 150_000);
    const recoveredMs = Date.now() - calm;
    for (const p of rig.partners) await p.proxy.settled();
    await expectPerfect(rig, journeys);
    report('random schedule', { seed: SEED, journeys, faults: applied, exchanges: ids.length, recoveredMs });
  }, 300_000);
});
