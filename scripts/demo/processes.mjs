// The demo's processes and what they leave behind: checks PostgreSQL and Redis first, starts child
// processes, and at the end stops them, deletes the run's Redis keys and drops its PostgreSQL schema.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

/** How long a child gets to exit after SIGTERM before it is killed (a worker finishes its job first). */
const STOP_GRACE_MS = 10_000;
const SCAN_COUNT = 500;

const quietRedis = (url) => {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // callers report failures once, in plain words
  return redis;
};

/** Resolves with undefined when both answer, else with { message, hint } for the one that does not. */
export async function preflight(databaseUrl, redisUrl) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    return {
      message: `PostgreSQL is not reachable at ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
      hint: 'start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set DATABASE_URL)',
    };
  } finally {
    await client.end().catch(() => {});
  }
  const redis = quietRedis(redisUrl);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    return {
      message: `Redis is not reachable at ${redisUrl}`,
      hint: 'start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no (or set REDIS_URL)',
    };
  } finally {
    redis.disconnect();
  }
  return undefined;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(probe, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The child processes of one run: `start` spawns one, `stopAll` stops every one still running. */
export function processGroup(root) {
  const children = [];
  return {
    pids: () => children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid),
    /** Starts `node args`; resolves with its first output line matching `ready`, rejects if it exits. */
    start(name, args, env, ready) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd: root,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          // Its own process group: a terminal's Ctrl-C reaches only the demo, which then stops the
          // children itself (else a child exiting first would read as a crash, racing the demo's handler).
          detached: true,
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
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          child.stopped = true;
          reject(
            new Error(`${name} exited with ${code ?? signal}: ${errText.split('\n').slice(-4).join(' ')}`),
          );
        });
      });
    },
    /** SIGTERM to each child, SIGKILL to any still running after the grace; resolves once all are gone. */
    async stopAll() {
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const gone = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          const timer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
          await gone;
          clearTimeout(timer);
        }),
      );
    },
  };
}

/** Deletes every Redis key under `prefix:` (the run's queues, locks, rate limits); resolves with the count. */
export async function deleteRedisKeys(redisUrl, prefix) {
  const redis = quietRedis(redisUrl);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function dropSchema(databaseUrl, schema) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}
