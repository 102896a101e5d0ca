// Redis connections for the queues: one checked at start-up (reachable, eviction policy), and one
// per BullMQ Worker. A lost connection is logged once per outage, not as ioredis's unhandled stacks.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from '../settings/env.js';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

function quiet(r: Redis, logger: Logger): Redis {
  let down = false;
  r.on('error', (err: Error) => {
    if (!down) logger.warn({ event: 'redis-unavailable', err }, 'Redis connection lost; retrying');
    down = true;
  });
  r.on('ready', () => {
    down = false;
  });
  return r;
}

/** A connection for a BullMQ Worker (blocking commands: maxRetriesPerRequest null). */
export function workerConnection(url: string, logger: Logger): Redis {
  return quiet(
    new Redis(url, {
      maxRetriesPerRequest: null,
      connectTimeout: 3_000,
      retryStrategy: (n) => Math.min(n * 200, 2_000),
    }),
    logger,
  );
}

/**
 * The process's main connection: must answer at start-up (else RedisUnavailableError), then retries
 * for ever. Warns when the eviction policy could drop queued jobs (the sweeper would re-queue them).
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = quiet(
    new Redis(url, {
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      lazyConnect: true,
      retryStrategy: () => null,
    }),
    logger,
  );
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    redis.disconnect();
    throw new RedisUnavailableError(`Redis is not reachable at ${redactUrl(url)}`);
  }
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction')
      logger.warn(
        { event: 'redis-eviction-policy', policy },
        'Redis maxmemory-policy is not noeviction: queued jobs could be evicted (the sweeper would re-queue them)',
      );
  } catch {
    // CONFIG may be disabled on managed Redis; nothing to check then.
  }
  redis.options.maxRetriesPerRequest = null;
  redis.options.retryStrategy = (n) => Math.min(n * 200, 2_000);
  return redis;
}

/** A Redis call on a request path waits this long at the most (ioredis would queue it for the outage). */
export const REDIS_CALL_TIMEOUT_MS = 1_000;

/** Resolves with the promise's value, or rejects once `ms` have passed (the call itself goes on). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/**
 * Closes BullMQ workers within a bound whatever is down: a graceful close (in-flight jobs finish) for
 * `graceMs`, then a forced one for a second more. Resolves true when the graceful close finished.
 */
export async function closeWorkersWithin(
  workers: readonly { close(force?: boolean): Promise<void> }[],
  graceMs: number,
): Promise<boolean> {
  const settled = (force: boolean) => Promise.allSettled(workers.map((w) => w.close(force))).then(() => true);
  const graceful = await withTimeout(settled(false), graceMs, 'workers').catch(() => false);
  if (!graceful) await withTimeout(settled(true), 1_000, 'workers (forced)').catch(() => false);
  return graceful;
}

/** Whether Redis answers a PING within REDIS_CALL_TIMEOUT_MS. */
export async function pingRedis(
  redis: Pick<Redis, 'ping'> & { readonly status?: string },
  timeoutMs = REDIS_CALL_TIMEOUT_MS,
): Promise<boolean> {
  // Known to be down (reconnecting): no PING queued for the outage.
  if (redis.status !== undefined && redis.status !== 'ready') return false;
  return withTimeout(redis.ping(), timeoutMs, 'Redis PING').then(
    () => true,
    () => false,
  );
}

/** Closes politely (QUIT) when Redis answers, at once when it does not: shutdown never waits on it. */
export async function closeRedis(redis: Redis): Promise<void> {
  await withTimeout(redis.quit(), REDIS_CALL_TIMEOUT_MS, 'Redis QUIT').catch(() => {});
  redis.disconnect();
}
