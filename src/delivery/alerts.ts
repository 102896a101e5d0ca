// The watchdog's queues (issue 10 §4). A BullMQ job scheduler puts one `watchdog` job on its queue every
// `intervalMs` — one schedule however many workers start it (upsert by id) — and a concurrency-1 worker
// on each process runs it (the run itself takes a PostgreSQL advisory lock, so two never overlap).
// Each alert raised or cleared becomes a job on the notifications queue: an HMAC-SHA256-signed POST to
// the configured webhook, retried with backoff by BullMQ until the receiver answers 2xx. Jobs carry the
// alert id and the event only; the body is read from PostgreSQL when it is sent.
import { createHmac } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AlertTransition, getAlert } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { closeWorkersWithin, withTimeout } from './redis.js';

/** How long a stopping worker waits for a watchdog run or a notification in flight. */
const ALERTS_CLOSE_GRACE_MS = 5_000;

export const WATCHDOG_QUEUE = 'navbridge-watchdog';
export const ALERT_QUEUE = 'navbridge-alert-notifications';
const SCHEDULER_ID = 'watchdog';

export interface AlertWebhook {
  url: string;
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
}

export interface AlertWorkersOptions {
  db: Db;
  /** A connection for the queues (commands). */
  connection: Redis;
  /** A new blocking connection per worker. */
  connect(): Redis;
  prefix: string;
  intervalMs: number;
  /** One watchdog run: the alerts it raised and cleared. */
  run(): Promise<readonly AlertTransition[]>;
  webhook?: AlertWebhook;
  logger: Logger;
  /** Base delay of the notification retries (exponential). */
  retryDelayMs?: number;
}

export interface AlertWorkers {
  /** Queues notifications for transitions (also what each scheduled run does). */
  notify(transitions: readonly AlertTransition[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the Stripe scheme),
 * so a receiver can reject a replayed or altered body.
 */
export function signAlertBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export class WebhookRefusedError extends Error {
  override readonly name = 'WebhookRefusedError';
}

async function sendNotification(db: Db, hook: AlertWebhook, data: AlertTransition): Promise<string> {
  const alert = await getAlert(db, data.alertId);
  if (!alert) return 'gone';
  const body = JSON.stringify({ event: `alert.${data.event}`, alert });
  const res = await fetch(hook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-navbridge-event': `alert.${data.event}`,
      'x-navbridge-signature': signAlertBody(hook.secret, body, Math.floor(Date.now() / 1000)),
    },
    body,
    signal: AbortSignal.timeout(hook.timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new WebhookRefusedError(`the alert webhook answered ${res.status}`);
  return 'sent';
}

export async function startAlertWorkers(opts: AlertWorkersOptions): Promise<AlertWorkers> {
  const { logger } = opts;
  const watchdogQueue = new Queue(WATCHDOG_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  const notifications = new Queue<AlertTransition>(ALERT_QUEUE, {
    connection: opts.connection,
    prefix: opts.prefix,
  });
  const connections: Redis[] = [];
  const workers: Worker[] = [];

  const notify = async (transitions: readonly AlertTransition[]) => {
    if (!opts.webhook || !transitions.length) return;
    await notifications.addBulk(
      transitions.map((t) => ({
        name: t.event,
        data: { alertId: t.alertId, event: t.event },
        opts: {
          // One notification per alert and event, however often it is queued.
          jobId: `${t.alertId}-${t.event}`,
          attempts: opts.webhook?.maxAttempts ?? 10,
          backoff: { type: 'exponential', delay: opts.retryDelayMs ?? 1_000 },
          removeOnComplete: true,
          removeOnFail: 1_000,
        },
      })),
    );
  };

  // Upsert: every worker process declares the same schedule; BullMQ keeps one.
  await watchdogQueue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: opts.intervalMs },
    { name: 'watchdog', opts: { removeOnComplete: true, removeOnFail: 100 } },
  );

  const watchdogConnection = opts.connect();
  connections.push(watchdogConnection);
  const watchdog = new Worker(
    WATCHDOG_QUEUE,
    async () => {
      const transitions = await opts.run();
      for (const t of transitions) logger.info({ event: `alert-${t.event}`, alertId: t.alertId }, 'alert');
      await notify(transitions);
      return transitions.length;
    },
    { connection: watchdogConnection, prefix: opts.prefix, concurrency: 1 },
  );
  watchdog.on('failed', (_job, err) =>
    logger.error({ event: 'watchdog-failed', err }, 'watchdog run failed'),
  );
  watchdog.on('error', (err) => logger.error({ event: 'watchdog-error', err }, 'watchdog worker error'));
  workers.push(watchdog);

  if (opts.webhook) {
    const hook = opts.webhook;
    const c = opts.connect();
    connections.push(c);
    const sender = new Worker<AlertTransition>(
      ALERT_QUEUE,
      (job: Job<AlertTransition>) => sendNotification(opts.db, hook, job.data),
      { connection: c, prefix: opts.prefix, concurrency: 4 },
    );
    sender.on('failed', (job, err) =>
      logger.warn(
        { event: 'alert-notification-failed', alertId: job?.data.alertId, attempt: job?.attemptsMade, err },
        'alert notification failed',
      ),
    );
    sender.on('error', (err) => logger.error({ event: 'alert-worker-error', err }, 'alert worker error'));
    workers.push(sender);
  }

  return {
    notify,
    /** Bounded whatever is down: a run or a notification in flight gets a few seconds, then the
     * workers are closed by force and their connections dropped (Redis down must not hold a stop). */
    async close() {
      await closeWorkersWithin(workers, ALERTS_CLOSE_GRACE_MS);
      await withTimeout(
        Promise.allSettled([watchdogQueue.close(), notifications.close()]),
        1_000,
        'queues',
      ).catch(() => {});
      for (const c of connections) c.disconnect();
    },
  };
}
