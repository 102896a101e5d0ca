// What the figures were measured on: CPUs, load average (before and after), memory, Node, PostgreSQL
// and Redis versions, and the measured checkout's git commit.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Redis } from 'ioredis';
import { withAdmin } from './rig.mjs';

const git = (dir, args) => {
  try {
    return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
};

export async function describeMachine(opts) {
  const pgVersion = await withAdmin(
    opts.databaseUrl,
    async (c) => (await c.query('SHOW server_version')).rows[0].server_version,
  ).catch(() => undefined);
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  let redisVersion;
  try {
    await redis.connect();
    redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  } catch {}
  redis.disconnect();
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg(),
    node: process.version,
    postgres: pgVersion,
    redis: redisVersion,
    target: opts.target,
    commit: git(opts.target, ['rev-parse', 'HEAD']),
    commitSubject: git(opts.target, ['log', '-1', '--format=%s'])?.slice(0, 120),
    dirty: (git(opts.target, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  };
}
