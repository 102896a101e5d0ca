// The scheduled retention job of every worker: prunes payloads past their days (store/retention.ts)
// once at start and then every `intervalMs`. Several workers pruning at once is safe (each batch takes
// rows no one else holds); a run never overlaps the previous one of the same worker.
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { type PruneCounts, pruneExpired, type RetentionPolicy } from '../store/retention.js';

/** How the scheduled job is named in the audit log. */
export const PRUNER_ACTOR = 'worker:retention';

export interface Pruner {
  /** One run now (what the timer does). */
  prune(): Promise<PruneCounts>;
  stop(): void;
}

export function startPruner(opts: {
  db: Db;
  policy: RetentionPolicy;
  intervalMs: number;
  logger: Logger;
}): Pruner {
  let running: Promise<PruneCounts> | undefined;
  const prune = (): Promise<PruneCounts> => {
    running ??= pruneExpired(opts.db, opts.policy, PRUNER_ACTOR)
      .then((counts) => {
        const total = counts.deliveredPayloads + counts.inboundBodies + counts.failedRecords;
        if (total) opts.logger.info({ event: 'prune', ...counts }, 'payloads past retention deleted');
        return counts;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const tick = () => {
    prune().catch((err: unknown) => opts.logger.error({ event: 'prune-failed', err }, 'prune failed'));
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, opts.intervalMs);
  first.unref();
  timer.unref();
  return {
    prune,
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
