// Rate-limit counters shared by every API process, in Redis (rate-limit-redis: one Lua script per hit,
// so counting is atomic across processes). While Redis cannot answer, each process counts in its own
// memory instead (express-rate-limit's MemoryStore): limits keep holding during an outage — per process,
// as one API process alone would count — and a counter call never waits on a Redis that is down: it
// fails within RATE_CALL_TIMEOUT_MS (at once when Redis is known to be disconnected) and falls back.
import {
  type ClientRateLimitInfo,
  type IncrementResponse,
  MemoryStore,
  type Options,
  type Store,
} from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { withTimeout } from './redis.js';

const RATE_CALL_TIMEOUT_MS = 250;

/**
 * A store that counts in `shared` while it answers and in `local` while it fails. Counts made locally
 * during an outage stay local: when Redis is back its own counters (and windows) apply again.
 */
export class FallbackRateStore implements Store {
  readonly localKeys = false;
  readonly prefix: string | undefined;

  constructor(
    readonly shared: Store,
    readonly local: Store = new MemoryStore(),
  ) {
    this.prefix = shared.prefix;
  }

  init(options: Options): void {
    // express-rate-limit does not await init; a shared store that cannot start must not be unhandled.
    Promise.resolve(this.shared.init?.(options)).catch(() => {});
    void this.local.init?.(options);
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    try {
      return await this.shared.get?.(key);
    } catch {
      return this.local.get?.(key);
    }
  }

  async increment(key: string): Promise<IncrementResponse> {
    try {
      return await this.shared.increment(key);
    } catch {
      return this.local.increment(key);
    }
  }

  async decrement(key: string): Promise<void> {
    try {
      await this.shared.decrement(key);
    } catch {
      await this.local.decrement(key);
    }
  }

  async resetKey(key: string): Promise<void> {
    await Promise.allSettled([this.shared.resetKey(key), this.local.resetKey(key)]);
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.shared.shutdown?.(), this.local.shutdown?.()]);
  }
}

/** A store under `<prefix>:rl:<name>:` (one per limiter: each has its own window), in memory while Redis is down. */
export function redisRateStore(redis: Redis, prefix: string, name: string): FallbackRateStore {
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
  return new FallbackRateStore(store);
}
