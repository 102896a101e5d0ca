// Prometheus metrics (prom-client): one registry per process with the default Node process metrics,
// the instruments that count what this process does (inbound requests, delivery attempts, failures,
// latency) and gauges filled at scrape time from what every process shares (PostgreSQL and the queues;
// src/service/metrics.ts). Cross-cutting like the logger: delivery and the API take a Metrics made here.
// Labels carry ids and codes only (partner, site, route template, status), never patient data.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Inbound HTTP requests by route template, method and status. */
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  /** Delivery attempts by partner and outcome (delivered, retry, dead, blocked...). */
  readonly deliveryAttempts: Counter<'partner' | 'outcome'>;
  /** Failed attempts by partner and error class (http-503, timeout, connection, http-422...). */
  readonly deliveryFailures: Counter<'partner' | 'error_class'>;
  /** Accepted (stored) → partner acknowledgement, in seconds. */
  readonly deliveryLatency: Histogram<'partner'>;
  /** A gauge whose value is set at each scrape by `collect`. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (g: Gauge<L>) => Promise<void>,
  ): Gauge<L>;
  /** The exposition text (Prometheus text format) and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'navbridge_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'navbridge_http_requests_total',
      help: 'Inbound HTTP requests by route template, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'navbridge_http_request_duration_seconds',
      help: 'Inbound HTTP request duration by route template and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    deliveryAttempts: new Counter({
      name: 'navbridge_delivery_attempts_total',
      help: 'Delivery attempts by partner and outcome',
      labelNames: ['partner', 'outcome'] as const,
      registers,
    }),
    deliveryFailures: new Counter({
      name: 'navbridge_delivery_failures_total',
      help: 'Failed delivery attempts by partner and error class',
      labelNames: ['partner', 'error_class'] as const,
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'navbridge_delivery_latency_seconds',
      help: 'Time from an exchange being accepted (stored) to the partner acknowledging it',
      labelNames: ['partner'] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400],
      registers,
    }),
    gauge(name, help, labelNames, collect) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          await collect(this);
        },
      });
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
