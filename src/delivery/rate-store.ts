// Rate-limit counters shared by every API process, in Redis (rate-limit-redis: one Lua script per hit,
// so counting is atomic across processes). A counter call never waits long on a Redis that is down:
// it fails within RATE_CALL_TIMEOUT_MS and the limiter lets the request through (README "Security":
// availability of referrals is worth more than a limit during a Redis outage).
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { withTimeout } from './redis.js';

const RATE_CALL_TIMEOUT_MS = 250;

/** A store under `<prefix>:rl:<name>:` (one per limiter: each has its own window). */
export function redisRateStore(redis: Redis, prefix: string, name: string): RedisStore {
  const store = new RedisStore({
    prefix: `${prefix}:rl:${name}:`,
    sendCommand: (command: string, ...args: string[]) =>
      // Known to be down: fail now rather than queue the command in ioredis for the outage.
      redis.status !== 'ready'
        ? Promise.reject(new Error('rate limit: Redis is not connected'))
        : withTimeout(redis.call(command, ...args) as Promise<never>, RATE_CALL_TIMEOUT_MS, 'rate limit'),
  });
  // The scripts are loaded at construction; a Redis down then must not be an unhandled rejection
  // (each hit reloads them when they are missing).
  store.incrementScriptSha.catch(() => {});
  store.getScriptSha.catch(() => {});
  return store;
}
