// Part 1 (end to end), 5 (RSS during it) and 6 (scale): records of the mix posted to navbridge's API
// processes until every exchange reached the receiver; and, interleaved, the bare BullMQ baseline
// posting the same payloads to the same receiver.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { matchDeliveries, waitForReceipts } from '../deliveries.mjs';
import { nowMs, postRecords, summarise } from '../load.mjs';
import { STEPS_PER_PERSON } from '../records.mjs';
import {
  cpuMeter,
  deleteRedisPrefix,
  HERE,
  sampleMemory,
  startNavbridge,
  startNode,
  waitFor,
  withAdmin,
} from '../rig.mjs';

/** Waits until every accepted exchange has a receipt (or deliveries stall); the matched figures. */
async function settle(receiver, accepted, idOf, startT) {
  for (;;) {
    const before = await receiver.count();
    const got = await waitForReceipts(receiver, accepted.size);
    const m = matchDeliveries(accepted, await receiver.receipts(), await idOf(), startT);
    if (m.missing === 0 || got === before) return m;
  }
}

/**
 * navbridge end to end: `apis` API processes and `workers` workers; `persons` people of the mix split
 * over the APIs, `connections` per API. Returns throughput, latency, order and memory figures.
 */
export async function runNavbridgeE2E(
  opts,
  receiver,
  { apis, workers, persons, connections = 8, label, profileDir },
) {
  await receiver.reset();
  const profiling = profileDir ? { ...opts, nodeOptions: `--cpu-prof --cpu-prof-dir=${profileDir}` } : opts;
  const nb = await startNavbridge(profiling, { apis, workers, receiver });
  const stopMemory = sampleMemory([...nb.apiProcs, ...nb.workerProcs]);
  try {
    const accepted = new Map();
    const statuses = new Map();
    const tag = `${label.replace(/[^A-Za-z0-9]+/g, '')}-${randomBytes(3).toString('hex')}`;
    const per = Math.ceil(persons / apis);
    const cpu = await cpuMeter([...nb.apiProcs, ...nb.workerProcs], opts.databaseUrl);
    const startT = nowMs();
    const results = await Promise.all(
      nb.bases.map((base, i) =>
        postRecords({
          base,
          apiKey: nb.apiKey,
          tag,
          firstPerson: i * per,
          persons: per,
          connections,
          accepted,
          statuses,
        }),
      ),
    );
    const postedT = nowMs();
    // Receipts carry X-Request-Id; the exchange it belongs to is in the store's plain metadata.
    const idOf = async () => {
      const { rows } = await withAdmin(opts.databaseUrl, (c) =>
        c.query(
          `SELECT id, request_id, correlation_id FROM ${nb.schema}.exchanges WHERE direction = 'outbound'`,
        ),
      );
      const byRid = new Map(rows.map((r) => [r.request_id, r.id]));
      const byCid = new Map(rows.map((r) => [r.correlation_id, r.id]));
      return (r) => byRid.get(r.rid) ?? byCid.get(r.cid);
    };
    const m = await settle(receiver, accepted, idOf, startT);
    const cpuMs = await cpu();
    const memory = stopMemory();
    const requests = results.reduce((s, r) => s + r.requests.total, 0);
    await nb.stopProcesses();
    const loadMs = nowMs() - startT;
    return {
      label,
      apis,
      loadMs,
      cpuMs,
      cpuMsPerExchange: Object.fromEntries(
        Object.entries(cpuMs).map(([k, v]) => [k, v / Math.max(1, m.delivered)]),
      ),
      pids: { api: nb.apiProcs.map((p) => p.pid), worker: nb.workerProcs.map((p) => p.pid) },
      workers,
      records: requests,
      recordsPerS: (requests * 1000) / (postedT - startT),
      answers: Object.fromEntries(statuses),
      intake: results.map(summarise),
      ...m,
      memory,
    };
  } finally {
    stopMemory();
    await nb.stop();
  }
}

/**
 * The baseline: a bare BullMQ queue and `workers` worker processes posting `count` payloads (the
 * bodies navbridge sent, cycled) to the same receiver; accept = the job's add resolved.
 */
export async function runBaseline(opts, receiver, bodies, { workers, count, connections = 8, label }) {
  await receiver.reset();
  const prefix = `nbbench-base-${randomBytes(4).toString('hex')}`;
  const queueName = 'baseline';
  const procs = Array.from({ length: workers }, (_, i) =>
    startNode(`baseline-worker${i + 1}`, [path.join(HERE, 'baseline-worker.mjs')], {
      env: {
        BENCH_REDIS_URL: opts.redisUrl,
        BENCH_PREFIX: prefix,
        BENCH_QUEUE: queueName,
        BENCH_TARGET: `http://127.0.0.1:${receiver.port}`,
        BENCH_CONCURRENCY: '8',
        NODE_PATH: '',
      },
    }),
  );
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix });
  const stopMemory = sampleMemory(procs);
  try {
    await Promise.all(
      procs.map((p) => waitFor(async () => p.output().includes('"ready"'), `${p.name} ready`, 30_000, 20)),
    );
    const accepted = new Map();
    let next = 0;
    const cpu = await cpuMeter(procs);
    const startT = nowMs();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (let i = next++; i < count; i = next++) {
          const b = bodies[i % bodies.length];
          const id = `b${i}`;
          await queue.add(
            'deliver',
            { path: b.path, body: b.body },
            { jobId: id, removeOnComplete: true, removeOnFail: true },
          );
          accepted.set(id, { t: nowMs(), person: `p${i}`, step: 0 });
        }
      }),
    );
    const m = await settle(receiver, accepted, async () => (r) => r.rid, startT);
    const cpuMs = await cpu();
    return {
      label,
      workers,
      ...m,
      memory: stopMemory(),
      cpuMs,
      cpuMsPerExchange: { worker: cpuMs['baseline-worker'] / Math.max(1, m.delivered) },
    };
  } finally {
    stopMemory();
    await Promise.all(procs.map((p) => p.stop()));
    await queue.close();
    connection.disconnect();
    await deleteRedisPrefix(opts.redisUrl, prefix).catch(() => {});
  }
}

/** Persons for `records` records of the mix. */
export const personsFor = (records) => Math.max(1, Math.round(records / STEPS_PER_PERSON));
