// Listening on a port, kept apart from building the app (as Fastify separates buildApp and listen):
// plain HTTP behind a TLS proxy, or TLS terminated here with client certificates checked against the
// configured CAs (mutual TLS). Timeouts and the connection cap are set deliberately (README
// "Configuration reference", `http.timeouts`): slow clients cannot hold connections open.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Express } from 'express';
import type { TlsMaterial } from '../config/tls.js';
import { StartupError } from '../service/runtime.js';
import type { HttpTimeouts } from '../settings/http.js';
import { httpTimeoutsSchema } from '../settings/http.js';

export interface ListenOptions {
  tls?: TlsMaterial;
  timeouts?: HttpTimeouts;
}

export function createApiServer(app: Express, opts: ListenOptions = {}): Server {
  const t = opts.timeouts ?? httpTimeoutsSchema.parse({});
  // Node checks the header and request timeouts on this interval (default 30 s): often enough to
  // close a slow client near its deadline.
  const checking = { connectionsCheckingInterval: Math.max(250, Math.min(t.headersMs / 4, 30_000)) };
  const server = opts.tls
    ? createHttpsServer(
        {
          ...checking,
          cert: opts.tls.cert,
          key: opts.tls.key,
          ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
          minVersion: 'TLSv1.2',
          requestCert: opts.tls.clientCertificates !== 'off',
          rejectUnauthorized: opts.tls.clientCertificates === 'required',
        },
        app,
      )
    : createHttpServer(checking, app);
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  server.keepAliveTimeout = t.keepAliveMs;
  server.maxConnections = t.maxConnections;
  return server;
}

/** Listens on the port, or fails (a port in use is a start-up error, not a silent non-listener). */
export async function listen(app: Express, port: number, opts: ListenOptions = {}): Promise<Server> {
  const server = createApiServer(app, opts);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code;
      reject(
        new StartupError(`cannot listen on port ${port}: ${code ?? err.message}`, [
          code === 'EADDRINUSE' ? 'another process holds the port: stop it or set PORT' : 'check PORT',
        ]),
      );
    });
    server.listen(port, () => resolve(server));
  });
}
