// The gauges every process can report, filled at scrape time from what all processes share:
// exchanges by partner, direction and state; dead and blocked; each partner's circuit, queue depth
// and oldest undelivered exchange; kept mapping failures by mapping; service-clock breaches by site.
// One snapshot of the store serves a whole scrape (cached briefly), each source bounded in time so a
// scrape never hangs on a dependency that is down (its gauges are then left out, and `navbridge_up`
// says which source failed). The same figures make `navbridge status`.
import type { QueueSet } from '../delivery/queues.js';
import { withTimeout } from '../delivery/redis.js';
import type { Metrics } from '../metrics/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { type CircuitState, readCircuits } from '../store/circuits.js';
import type { Db } from '../store/db.js';
import { type OperationsSnapshot, operationsSnapshot } from '../store/operations.js';
import { listReferrals } from './referrals.js';
import type { ServiceDeps } from './types.js';

/** Each source of a scrape (PostgreSQL, each queue) answers within this long, else is left out. */
export const SCRAPE_SOURCE_TIMEOUT_MS = 1_500;
/** A scrape reuses a snapshot this recent (several gauges, one set of queries). */
const SNAPSHOT_MAX_AGE_MS = 2_000;
/** Service clocks walk every open referral's history: computed at most this often. */
const CLOCKS_MAX_AGE_MS = 30_000;

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface PartnerStatus {
  partner: string;
  pending: number;
  inFlight: number;
  deliveredToday: number;
  failed: number;
  dead: number;
  blocked: number;
  circuit: CircuitState | 'unknown';
  /** Seconds since the oldest undelivered exchange was stored (null: nothing undelivered). */
  oldestUndeliveredS: number | null;
  /** Jobs in Redis: waiting (incl. prioritized), delayed, active; null when Redis did not answer. */
  queue: { waiting: number; delayed: number; active: number } | null;
}

export interface OperationsDeps {
  db: Db;
  partners: readonly PartnerConfig[];
  queues?: Pick<QueueSet, 'queue'>;
}

function cached<T>(maxAgeMs: number, load: () => Promise<T>): () => Promise<T> {
  let at = 0;
  let value: Promise<T> | undefined;
  return () => {
    if (!value || Date.now() - at > maxAgeMs) {
      at = Date.now();
      value = load();
      value.catch(() => {
        value = undefined;
      });
    }
    return value;
  };
}

async function queueCounts(queues: Pick<QueueSet, 'queue'> | undefined, partnerId: string) {
  if (!queues) return null;
  try {
    const c = await withTimeout(
      queues.queue(partnerId).getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
      SCRAPE_SOURCE_TIMEOUT_MS,
      'queue counts',
    );
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
    };
  } catch {
    return null;
  }
}

export interface Operations {
  snapshot(): Promise<OperationsSnapshot>;
  circuits(): Promise<Map<string, CircuitState>>;
  partnerStatus(): Promise<PartnerStatus[]>;
}

export function operations(deps: OperationsDeps): Operations {
  const snapshot = cached(SNAPSHOT_MAX_AGE_MS, () =>
    withTimeout(operationsSnapshot(deps.db), SCRAPE_SOURCE_TIMEOUT_MS, 'operations snapshot'),
  );
  const circuits = cached(SNAPSHOT_MAX_AGE_MS, async () => {
    const m = await withTimeout(readCircuits(deps.db), SCRAPE_SOURCE_TIMEOUT_MS, 'circuits');
    return new Map([...m].map(([id, c]) => [id, c.state] as const));
  });
  return {
    snapshot,
    circuits,
    async partnerStatus() {
      const [snap, circ, queues] = await Promise.all([
        snapshot(),
        circuits().catch(() => undefined),
        Promise.all(deps.partners.map((p) => queueCounts(deps.queues, p.id))),
      ]);
      return deps.partners.map((p, i) => {
        const count = (state: string) =>
          snap.exchanges
            .filter((e) => e.partnerId === p.id && e.direction === 'outbound' && e.state === state)
            .reduce((n, e) => n + e.count, 0);
        const b = snap.backlog.find((x) => x.partnerId === p.id);
        return {
          partner: p.id,
          pending: count('pending'),
          inFlight: count('in-flight'),
          deliveredToday: b?.deliveredToday ?? 0,
          failed: count('failed'),
          dead: count('dead'),
          blocked: count('blocked'),
          circuit: circ ? (circ.get(p.id) ?? 'closed') : 'unknown',
          oldestUndeliveredS: b?.oldestUndeliveredS ?? null,
          queue: queues[i] ?? null,
        };
      });
    },
  };
}

/** Registers the shared gauges on the process's metrics. */
export function registerOperationalGauges(
  metrics: Metrics,
  deps: OperationsDeps & Partial<Pick<ServiceDeps, 'mappings' | 'now'>>,
): Operations {
  const ops = operations(deps);
  const source = <T>(load: () => Promise<T>): Promise<T | undefined> => load().catch(() => undefined);
  const queueSnapshot = cached(SNAPSHOT_MAX_AGE_MS, () =>
    Promise.all(deps.partners.map((p) => queueCounts(deps.queues, p.id))),
  );
  metrics.gauge(
    'navbridge_exchanges',
    'Exchanges by partner, direction and state',
    ['partner', 'direction', 'state'],
    async (g) => {
      g.reset();
      const snap = await source(ops.snapshot);
      for (const e of snap?.exchanges ?? [])
        g.set({ partner: e.partnerId, direction: e.direction, state: e.state }, e.count);
    },
  );
  for (const [name, state, help] of [
    [
      'navbridge_dead_letters',
      'dead',
      'Dead letters (outbound exchanges that will not be retried) by partner',
    ],
    ['navbridge_blocked_exchanges', 'blocked', 'Outbound exchanges blocked behind a dead letter, by partner'],
  ] as const)
    metrics.gauge(name, help, ['partner'], async (g) => {
      g.reset();
      const snap = await source(ops.snapshot);
      if (!snap) return;
      for (const p of deps.partners)
        g.set(
          { partner: p.id },
          snap.exchanges
            .filter((e) => e.partnerId === p.id && e.direction === 'outbound' && e.state === state)
            .reduce((n, e) => n + e.count, 0),
        );
    });
  metrics.gauge(
    'navbridge_oldest_undelivered_age_seconds',
    'Age of the oldest outbound exchange still to deliver, by partner (0: none)',
    ['partner'],
    async (g) => {
      g.reset();
      const snap = await source(ops.snapshot);
      if (!snap) return;
      for (const p of deps.partners)
        g.set({ partner: p.id }, snap.backlog.find((b) => b.partnerId === p.id)?.oldestUndeliveredS ?? 0);
    },
  );
  metrics.gauge(
    'navbridge_circuit_state',
    "Each partner's circuit breaker: 0 closed, 1 half-open, 2 open",
    ['partner'],
    async (g) => {
      g.reset();
      const c = await source(ops.circuits);
      if (!c) return;
      for (const p of deps.partners) g.set({ partner: p.id }, CIRCUIT_VALUE[c.get(p.id) ?? 'closed']);
    },
  );
  metrics.gauge(
    'navbridge_queue_jobs',
    'Jobs in Redis by partner and state (waiting, delayed, active)',
    ['partner', 'state'],
    async (g) => {
      g.reset();
      if (!deps.queues) return;
      const counts = await queueSnapshot();
      deps.partners.forEach((p, i) => {
        const c = counts[i];
        if (!c) return;
        for (const [state, n] of Object.entries(c)) g.set({ partner: p.id, state }, n);
      });
    },
  );
  metrics.gauge(
    'navbridge_mapping_failures',
    'Records and inbound requests kept because their mapping or validation failed, by mapping and site',
    ['kind', 'mapping', 'site'],
    async (g) => {
      g.reset();
      const snap = await source(ops.snapshot);
      for (const f of snap?.mappingFailures ?? [])
        g.set({ kind: f.kind, mapping: f.mapping, site: f.site }, f.count);
    },
  );
  if (deps.mappings && deps.now) {
    const clockDeps = { db: deps.db, mappings: deps.mappings, now: deps.now };
    const admin = { kind: 'admin', actor: 'metrics' } as const;
    const breaches = cached(CLOCKS_MAX_AGE_MS, async () => {
      const out = new Map<string, { contact: number; assessment: number }>();
      for (const status of ['new', 'open'] as const) {
        const { referrals } = await listReferrals(clockDeps, admin, { status });
        for (const r of referrals) {
          const site = out.get(r.site) ?? { contact: 0, assessment: 0 };
          if (r.clocks.contact.status === 'overdue') site.contact++;
          if (r.clocks.assessment.status === 'overdue') site.assessment++;
          out.set(r.site, site);
        }
      }
      return out;
    });
    metrics.gauge(
      'navbridge_service_clock_breaches',
      'Open referrals past their first-contact or assessment due time, by site and clock',
      ['site', 'clock'],
      async (g) => {
        g.reset();
        const b = await source(breaches);
        for (const [site, c] of b ?? []) {
          g.set({ site, clock: 'contact' }, c.contact);
          g.set({ site, clock: 'assessment' }, c.assessment);
        }
      },
    );
  }
  metrics.gauge(
    'navbridge_up',
    'Whether each source of the shared gauges answered (1) or not (0)',
    ['source'],
    async (g) => {
      g.reset();
      g.set({ source: 'postgres' }, (await source(ops.snapshot)) ? 1 : 0);
      if (deps.queues && deps.partners.length)
        g.set({ source: 'redis' }, (await queueSnapshot()).every((c) => c !== null) ? 1 : 0);
    },
  );
  return ops;
}
