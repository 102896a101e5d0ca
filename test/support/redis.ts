// Real Redis for tests: the shared server with a random key prefix per suite, cleaned up afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function connectRedis(url = TEST_REDIS_URL): Redis {
  // BullMQ workers need maxRetriesPerRequest: null (blocking commands).
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

export function randomPrefix(): string {
  return `nbtest-${randomBytes(5).toString('hex')}`;
}

/** Every key under `prefix:` (SCAN, so a large shared server is not blocked). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/** Everything Redis holds under a prefix, as text: keys, and the values of every type BullMQ uses. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<string> {
  const out: string[] = [];
  for (const key of await keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'list'
            ? await redis.lrange(key, 0, -1)
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'zset'
                ? await redis.zrange(key, '0', '-1')
                : type === 'stream'
                  ? await redis.xrange(key, '-', '+')
                  : null;
    out.push(`${key} ${JSON.stringify(value)}`);
  }
  return out.join('\n');
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length) await redis.del(...keys);
}
