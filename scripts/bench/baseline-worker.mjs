#!/usr/bin/env node
// The baseline's worker: a bare BullMQ worker that posts each job's payload (carried in the job) to
// the receiver, as the simplest queue + worker would, with no store, no claims, no validation.
//   BENCH_REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_TARGET (receiver base URL), BENCH_CONCURRENCY
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const env = process.env;
const connection = new Redis(env.BENCH_REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(
  env.BENCH_QUEUE,
  async (job) => {
    const res = await fetch(`${env.BENCH_TARGET}${job.data.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'x-request-id': job.id },
      body: JSON.stringify(job.data.body),
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`partner answered ${res.status}`);
  },
  { connection, prefix: env.BENCH_PREFIX, concurrency: Number(env.BENCH_CONCURRENCY ?? 8) },
);
worker.on('ready', () => process.stdout.write('{"ready":true}\n'));
process.on('SIGTERM', async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
