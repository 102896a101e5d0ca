// A partner that applies a write late: an HTTP proxy in front of a real partner server that holds the
// next matching requests for a while before passing them on. The client gives up (its timeout) and
// retries; the held request is then applied at the partner after later writes — the fault that
// version-conditional writes (If-Match) exist for. Everything else passes straight through, unless a
// fault mode is set for every request: `refuse` (the connection is cut at once), `unavailable` (503
// with Retry-After: 1, nothing forwarded) or `blackhole` (a network partition: requests are taken and
// never forwarded nor answered; when the partition ends their connections are cut).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldRequest {
  method: string;
  path: string;
  /** When it was finally passed on, and the partner's status for it. */
  appliedAt?: number;
  status?: number;
}

export type ProxyMode = 'pass' | 'refuse' | 'unavailable' | 'blackhole';

export interface LateProxy {
  readonly url: string;
  /** What every request meets from now on (default `pass`); held requests are not affected. */
  setMode(mode: ProxyMode): void;
  /** Requests forwarded to the partner so far (held ones once passed on). */
  forwarded(): number;
  /** The next `count` requests that `match` accepts are held `holdMs` before being passed on. */
  holdNext(count: number, holdMs: number, match?: (method: string, path: string) => boolean): void;
  /** Passes every request still held on now (whatever its hold time; Infinity holds until this). */
  release(): void;
  /** Every held request, with what became of it. */
  held(): readonly HeldRequest[];
  /** Resolves when every held request has been passed on and answered by the partner. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export async function startLateProxy(targetBase: string): Promise<LateProxy> {
  const target = new URL(targetBase);
  const holds: { count: number; ms: number; match: (m: string, p: string) => boolean }[] = [];
  const held: HeldRequest[] = [];
  const pending = new Set<Promise<void>>();
  let mode: ProxyMode = 'pass';
  const releases = new Set<() => void>();
  let forwardedCount = 0;
  const swallowed = new Set<ServerResponse>();
  const forward = async (req: IncomingMessage, body: Buffer) => {
    forwardedCount += 1;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || ['host', 'connection', 'content-length'].includes(k)) continue;
      headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    const path = (req.url ?? '/').replace(/^\/fhir/, '');
    return fetch(`${target.origin}${target.pathname.replace(/\/$/, '')}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length && req.method !== 'GET' ? { body } : {}),
    });
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').replace(/^\/fhir/, '') || '/';
      if (mode === 'refuse') {
        req.socket.destroy();
        return;
      }
      if (mode === 'unavailable') {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/fhir+json' }).end();
        return;
      }
      if (mode === 'blackhole') {
        swallowed.add(res);
        return;
      }
      const hold = holds.find((h) => h.count > 0 && h.match(method, path));
      if (hold) {
        hold.count -= 1;
        const record: HeldRequest = { method, path };
        held.push(record);
        const p = (async () => {
          await new Promise<void>((r) => {
            const timer = Number.isFinite(hold.ms) ? setTimeout(r, hold.ms) : undefined;
            releases.add(() => {
              clearTimeout(timer);
              r();
            });
          });
          const answer = await forward(req, body);
          record.appliedAt = Date.now();
          record.status = answer.status;
          // The client has long given up; the answer goes nowhere.
          if (!res.destroyed) res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
        })();
        pending.add(p);
        void p.finally(() => pending.delete(p));
        return;
      }
      const answer = await forward(req, body);
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
      });
      res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const settled = async (): Promise<void> => {
    while (pending.size) await Promise.all([...pending]);
  };
  return {
    url: `http://127.0.0.1:${port}/fhir`,
    setMode(next) {
      mode = next;
      if (next !== 'blackhole') {
        for (const r of swallowed) r.socket?.destroy();
        swallowed.clear();
      }
    },
    forwarded: () => forwardedCount,
    release() {
      for (const r of releases) r();
      releases.clear();
    },
    holdNext(count, holdMs, match = (m) => m === 'POST') {
      holds.push({ count, ms: holdMs, match });
    },
    held: () => held,
    settled,
    async close() {
      for (const r of swallowed) r.socket?.destroy();
      for (const r of releases) r();
      await settled();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
