// A partner that applies a write late: an HTTP proxy in front of a real partner server that holds the
// next matching requests for a while before passing them on. The client gives up (its timeout) and
// retries; the held request is then applied at the partner after later writes — the fault that
// version-conditional writes (If-Match) exist for. Everything else passes straight through.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldRequest {
  method: string;
  path: string;
  /** When it was finally passed on, and the partner's status for it. */
  appliedAt?: number;
  status?: number;
}

export interface LateProxy {
  readonly url: string;
  /** The next `count` requests that `match` accepts are held `holdMs` before being passed on. */
  holdNext(count: number, holdMs: number, match?: (method: string, path: string) => boolean): void;
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
  const forward = async (req: IncomingMessage, body: Buffer) => {
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
      const hold = holds.find((h) => h.count > 0 && h.match(method, path));
      if (hold) {
        hold.count -= 1;
        const record: HeldRequest = { method, path };
        held.push(record);
        const p = (async () => {
          await new Promise((r) => setTimeout(r, hold.ms));
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
    holdNext(count, holdMs, match = (m) => m === 'POST') {
      holds.push({ count, ms: holdMs, match });
    },
    held: () => held,
    settled,
    async close() {
      await settled();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
