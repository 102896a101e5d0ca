// Test harness for the delivery-mode suites: a fresh PostgreSQL schema, real Redis under a random
// prefix, the navigator service and delivery workers for the given partners (real sandbox servers).
import type { QueueSet } from '../../../src/delivery/queues.js';
import type { DeliveryWorkers } from '../../../src/delivery/worker.js';
import type { RecordType } from '../../../src/records/index.js';
import type { Navbridge } from '../../../src/service/navbridge.js';
import type { SubmitOptions, SubmitResult } from '../../../src/service/submit.js';
import { type PartnerConfig, partnerSchema } from '../../../src/settings/app-config.js';
import type { Env } from '../../../src/settings/env.js';
import { type Exchange, getExchange } from '../../../src/store/exchanges.js';
import type { TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { type LateProxy, startLateProxy } from '../../support/late-proxy.js';
import { buildTestNavbridge } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

export const TRUST_ODS = 'RGD';
export const GP_ODS = 'B86016';

/** The fixture referral, sent by the trust (referrer ODS = the trust's), to the GP practice. */
export function referralFromTrust() {
  const r = recordFixture('referral');
  r.referrer.odsCode = TRUST_ODS;
  return r;
}

/** A partner with fast retries; `over` wins. */
export function partner(over: Record<string, unknown>): PartnerConfig {
  return partnerSchema.parse({
    name: String(over.id),
    kind: 'trust',
    odsCodes: [TRUST_ODS],
    receives: ['referral-status', 'support-plan'],
    timeoutMs: 3_000,
    retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200 },
    circuitBreaker: { failureThreshold: 50, cooldownMs: 200 },
    ...over,
  });
}

export interface Harness {
  t: TestDb;
  queues: QueueSet;
  navbridge: Navbridge;
  /** Submits a navigator record (as the navigator API does, as the admin). */
  service: { submit(recordType: RecordType, input: unknown, opts?: SubmitOptions): Promise<SubmitResult> };
  prefix: string;
  workers(): DeliveryWorkers | undefined;
  startWorkers(): DeliveryWorkers;
  stopWorkers(): Promise<void>;
  exchange(id: string): Promise<Exchange>;
  /** Waits until the exchange has the status (and returns it). */
  waitStatus(id: string, status: Exchange['status'], timeoutMs?: number): Promise<Exchange>;
  /** Waits until no exchange is pending, in flight or failed. */
  settled(timeoutMs?: number): Promise<void>;
  attempts(id: string): Promise<{ outcome: string; error_class: string | null; request_id: string }[]>;
  close(): Promise<void>;
}

export async function startHarness(
  partners: PartnerConfig[],
  opts: { env?: Env; workers?: boolean; now?: () => Date } = {},
): Promise<Harness> {
  const nb = await buildTestNavbridge({
    partners,
    delivery: 'queues',
    worker: { leaseMs: 10_000, sweepIntervalMs: 300, requeueAfterMs: 1_000 },
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.now ? { clock: opts.now } : {}),
  });
  const { t, prefix } = nb;
  const queues = nb.queues!;
  const service = {
    submit: (recordType: RecordType, input: unknown, o?: SubmitOptions) =>
      nb.navbridge.submitRecord(undefined, recordType, input, o),
  };
  let workers: DeliveryWorkers | undefined;
  const startWorkers = (): DeliveryWorkers => {
    workers = nb.startWorkers();
    return workers;
  };
  if (opts.workers !== false) startWorkers();
  const exchange = async (id: string): Promise<Exchange> => {
    const x = await getExchange(t.db, id);
    if (!x) throw new Error(`no exchange ${id}`);
    return x;
  };
  return {
    t,
    queues,
    navbridge: nb.navbridge,
    service,
    prefix,
    workers: () => workers,
    startWorkers,
    async stopWorkers() {
      await workers?.close();
      workers = undefined;
    },
    exchange,
    async waitStatus(id, status, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const x = await exchange(id);
          return x.status === status ? x : undefined;
        },
        { what: `exchange ${status}`, timeoutMs },
      );
    },
    async settled(timeoutMs = 20_000) {
      await waitFor(
        async () => {
          const { rows } = await t.sql.query(
            `SELECT count(*)::int AS n FROM exchanges WHERE status IN ('pending', 'in-flight', 'failed')`,
          );
          return rows[0].n === 0;
        },
        { what: 'all exchanges settled', timeoutMs },
      );
    },
    async attempts(id) {
      const { rows } = await t.sql.query(
        'SELECT outcome, error_class, request_id FROM exchange_attempts WHERE exchange_id = $1 ORDER BY attempt_no',
        [id],
      );
      return rows;
    },
    async close() {
      await nb.close();
    },
  };
}

/** The one exchange of a submit result for a partner. */
export function exchangeFor(
  result: { exchanges: { id: string; partnerId: string | null }[] },
  partnerId: string,
): string {
  const x = result.exchanges.find((e) => e.partnerId === partnerId);
  if (!x) throw new Error(`no exchange for ${partnerId}`);
  return x.id;
}

/** A sandbox trust behind a proxy that can hold writes past the timeout and apply them late, and a
 * harness delivering to one partner (`over`) through that proxy. */
export interface LateRig {
  trust: PartnerServer;
  proxy: LateProxy;
  h: Harness;
  close(): Promise<void>;
}
export async function startLateRig(over: Record<string, unknown>): Promise<LateRig> {
  const trust = await startPartnerServer({ name: 'trust' });
  const proxy = await startLateProxy(trust.url);
  const h = await startHarness([partner({ ...over, baseUrl: proxy.url })]);
  return {
    trust,
    proxy,
    h,
    async close() {
      await h.close();
      await proxy.close();
      await trust.close();
    },
  };
}
