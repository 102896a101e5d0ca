// Mutual TLS (issue 9 §3): navbridge terminates TLS itself with client certificates checked against
// the configured CA, and a partner bound to its certificates is accepted only over a connection that
// presents one — or, behind a verifying TLS proxy, through the header the proxy sets. Also the
// server's timeouts: a client that never finishes its headers is cut off.

import type { Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../src/api/server.js';
import { loadTlsMaterial } from '../../../src/config/tls.js';
import { makeTestPki, type Pem, type TestPki } from '../../support/certs.js';
import { clientAssertion, jwksJson, type SigningKey, signingKey } from '../../support/keys.js';
import { buildTestNavbridge, TEST_AUDIENCE, type TestNavbridge } from '../../support/navbridge.js';
import { waitFor } from '../../support/wait.js';

const partner = (id: string, certificates?: string[]) => ({
  id,
  name: id,
  kind: 'gp-practice',
  odsCodes: [id === 'gp-a' ? 'B86016' : 'B86099'],
  baseUrl: 'http://127.0.0.1:9/fhir',
  mode: 'transaction',
  receives: ['referral-status'],
  inbound: {
    clientId: `${id}-client`,
    publicKeysEnv: `${id.toUpperCase().replace('-', '_')}_JWKS`,
    defaultSite: 'leeds-north',
    ...(certificates ? { certificates } : {}),
  },
});

describe('mutual TLS and server timeouts', () => {
  let pki: TestPki;
  let certA: Pem;
  let certB: Pem;
  const keys: Record<string, SigningKey> = {};
  let tls: TestNavbridge;
  let proxied: TestNavbridge;
  let server: Server;
  let port: number;
  const token = async (id: string) =>
    clientAssertion(keys[id]!, { clientId: `${id}-client`, audience: TEST_AUDIENCE });

  beforeAll(async () => {
    pki = makeTestPki();
    certA = pki.client('gp-a');
    certB = pki.client('gp-b');
    keys['gp-a'] = await signingKey('RS256');
    keys['gp-b'] = await signingKey('ES256');
    const env = { GP_A_JWKS: await jwksJson(keys['gp-a']), GP_B_JWKS: await jwksJson(keys['gp-b']) };
    // gp-a is bound to its certificate (written with colons, as openssl prints it); gp-b is not.
    const colons = certA.fingerprint.toUpperCase().match(/../g)!.join(':');
    const partners = [partner('gp-a', [colons]), partner('gp-b')];
    tls = await buildTestNavbridge({ partners, env });
    proxied = await buildTestNavbridge({
      partners,
      env,
      config: { http: { rateLimits: { enabled: false }, clientCertificateHeader: 'x-client-cert-sha256' } },
    });
    const material = loadTlsMaterial(
      {
        certFile: pki.server.certFile,
        keyFile: pki.server.keyFile,
        caFile: pki.caFile,
        clientCertificates: 'required',
      },
      pki.dir,
    );
    server = createApiServer(tls.app, {
      tls: material,
      timeouts: { headersMs: 1_000, requestMs: 5_000, keepAliveMs: 1_000, maxConnections: 64 },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await tls?.close();
    await proxied?.close();
  });

  /** GET over TLS with a client certificate (or none): the status, or the connection's error code. */
  function get(path: string, client: Pem | undefined, bearer?: string): Promise<number | string> {
    return new Promise((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          ca: pki.ca,
          ...(client ? { cert: client.cert, key: client.key } : {}),
          headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      req.end();
    });
  }
  const READ = '/fhir/Task?focus=ServiceRequest/sr-1';

  it('refuses connections without a client certificate, or with one from another CA', async () => {
    expect(typeof (await get('/health', undefined))).toBe('string');
    expect(typeof (await get('/health', pki.rogue))).toBe('string');
    expect(await get('/health', certB)).toBe(200);
  });

  it('a partner bound to its certificate is accepted only over a connection presenting it', async () => {
    expect(await get(READ, certA, await token('gp-a'))).toBe(200);
    expect(await get(READ, certB, await token('gp-a'))).toBe(401);
    // gp-b is not bound: any certificate the CA signed will do.
    expect(await get(READ, certB, await token('gp-b'))).toBe(200);
  });

  it('behind a verifying TLS proxy, the certificate comes from the configured header', async () => {
    const read = async (id: string, fingerprint?: string) =>
      (
        await request(proxied.app)
          .get(READ)
          .set({
            Authorization: `Bearer ${await token(id)}`,
            ...(fingerprint ? { 'X-Client-Cert-SHA256': fingerprint } : {}),
          })
      ).status;
    expect(await read('gp-a', certA.fingerprint)).toBe(200);
    expect(await read('gp-a')).toBe(401);
    expect(await read('gp-a', certB.fingerprint)).toBe(401);
    expect(await read('gp-a', 'not-a-fingerprint')).toBe(401);
    // Without the header configured, a client's own header counts for nothing.
    expect(
      (
        await request(tls.app)
          .get(READ)
          .set({ Authorization: `Bearer ${await token('gp-a')}`, 'X-Client-Cert-SHA256': certA.fingerprint })
      ).status,
    ).toBe(401);
  });

  it('a client that never finishes its request headers is cut off (headersTimeout)', async () => {
    const plain = createApiServer(tls.app, {
      timeouts: { headersMs: 1_000, requestMs: 5_000, keepAliveMs: 1_000, maxConnections: 64 },
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    try {
      const socket = createConnection((plain.address() as AddressInfo).port, '127.0.0.1');
      let closed = false;
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => (closed = true));
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      await waitFor(async () => closed, { what: 'the slow connection closed', timeoutMs: 30_000 });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      plain.closeAllConnections();
      await new Promise((r) => plain.close(r));
    }
  });
});
