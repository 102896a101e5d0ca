// The probe and metrics port (METRICS_PORT): plain HTTP, no authentication, three routes only —
// GET /metrics (Prometheus text), /health (liveness) and /ready (readiness, 503 when not ready). Kept
// off the API port so that a worker (which has no API) can be probed and scraped too, and so that the
// API's /metrics can stay behind the admin token.
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../metrics/index.js';
import { StartupError } from '../service/runtime.js';

export interface ProbeDeps {
  metrics: Metrics;
  /** Readiness: ready or not, and the details to show. */
  ready(): Promise<{ ready: boolean; body: Record<string, unknown> }>;
}

export async function listenProbes(deps: ProbeDeps, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return send(405, 'application/json', '{"status":"method not allowed"}');
    if (path === '/health') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/ready')
      return void deps.ready().then(
        (r) => send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r.body)),
        () => send(503, 'application/json', '{"status":"not-ready"}'),
      );
    if (path === '/metrics')
      return void deps.metrics.scrape().then(
        (m) => send(200, m.contentType, m.body),
        () => send(500, 'text/plain', 'metrics unavailable\n'),
      );
    send(404, 'application/json', '{"status":"not found"}');
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new StartupError(`cannot listen on METRICS_PORT ${port}: ${err.code ?? err.message}`, [
          'another process holds the port: stop it or set METRICS_PORT',
        ]),
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}

/** Closes the probe port at once (its requests are short; open connections are cut). */
export async function closeProbes(server: Server): Promise<void> {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections();
  await closed;
}
