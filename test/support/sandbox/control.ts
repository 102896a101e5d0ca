// Test-only control endpoint for a sandbox partner running as its own process (`main.ts --control`):
// fault injection and the request log over HTTP, on a separate port so it never mixes with FHIR traffic.
// It has no authentication: it binds to the partner's host (127.0.0.1 by default) and exists for tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fault, PartnerServer } from './partner-server.js';

export interface ControlServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  close(): Promise<void>;
}

const isFault = (v: unknown): v is Fault => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const f = v as Record<string, unknown>;
  if (f.dropConnection === true) return true;
  if (typeof f.delayMs === 'number' && f.delayMs >= 0) return true;
  return typeof f.status === 'number' && Number.isInteger(f.status) && f.status >= 100 && f.status < 600;
};

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 1_000_000) reject(new Error('too large'));
    });
    req.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        reject(new Error('malformed JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * `POST /faults` with a JSON array of faults (as `PartnerServer.injectFaults`) → 204;
 * `DELETE /faults` drops pending faults → 204; `GET /requests` → the request log (JSON array);
 * `POST /reset` forgets everything (resources, messages, log, faults) → 204.
 */
export async function startControlServer(partner: PartnerServer, host = '127.0.0.1'): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body?: unknown): void => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://control').pathname}`;
    void (async () => {
      switch (route) {
        case 'POST /faults': {
          const body = await readJson(req).catch(() => undefined);
          if (!Array.isArray(body) || !body.every(isFault)) {
            return reply(400, { error: 'expected a JSON array of faults' });
          }
          partner.injectFaults(...body);
          return reply(204);
        }
        case 'DELETE /faults':
          partner.clearFaults();
          return reply(204);
        case 'GET /requests':
          return reply(200, partner.requestLog());
        case 'POST /reset':
          partner.reset();
          return reply(204);
        default:
          return reply(404, { error: 'unknown control route' });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
