// createAuthProvider against a local token endpoint (node:http): caching, concurrency, failures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPartnerError } from '../../../src/delivery/errors.js';
import { createAuthProvider } from '../../../src/delivery/partner-auth.js';
import { type PartnerConfig, partnerSchema } from '../../../src/settings/app-config.js';
import { privateKeyPem, signingKey } from '../../support/keys.js';

describe('createAuthProvider', () => {
  let server: http.Server;
  let tokenUrl: string;
  let pem: string;
  let requests = 0;
  /** Status the endpoint answers; 200 issues a token. */
  let status = 200;

  beforeAll(async () => {
    pem = await privateKeyPem(await signingKey('RS256'));
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        // Slow enough that concurrent callers overlap.
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              status === 200 ? { access_token: `tok-${requests}`, expires_in: 300 } : { error: 'x' },
            ),
          );
        }, 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const oauthPartner = (): PartnerConfig =>
    partnerSchema.parse({
      id: 'p-oauth',
      name: 'P',
      kind: 'trust',
      baseUrl: 'http://127.0.0.1:1/fhir',
      mode: 'transaction',
      receives: ['referral-status'],
      auth: {
        type: 'oauth2-client-credentials',
        tokenUrl,
        clientId: 'c',
        privateKeyEnv: 'KEY',
        keyId: 'k',
      },
    });

  it('concurrent deliveries share one token request', async () => {
    requests = 0;
    status = 200;
    const auth = createAuthProvider(oauthPartner(), pem);
    const headers = await Promise.all([1, 2, 3, 4, 5].map(() => auth.header()));
    expect(requests).toBe(1);
    expect(new Set(headers)).toEqual(new Set(['Bearer tok-1']));
    expect(await auth.header()).toBe('Bearer tok-1');
    expect(requests).toBe(1);
  });

  it('a refused token request is a permanent failure (auth-http-401); 503 is retryable; then recovers', async () => {
    requests = 0;
    const auth = createAuthProvider(oauthPartner(), pem);
    status = 401;
    const refused = await auth.header().catch((e: unknown) => e);
    expect(isPartnerError(refused) && [refused.kind, refused.errorClass]).toEqual(['dead', 'auth-http-401']);
    status = 503;
    const busy = await auth.header().catch((e: unknown) => e);
    expect(isPartnerError(busy) && [busy.kind, busy.errorClass]).toEqual(['retry', 'auth-http-503']);
    status = 200;
    expect(await auth.header()).toMatch(/^Bearer tok-/);
  });

  it('a missing key or token variable is reported by name', () => {
    expect(() => createAuthProvider(oauthPartner(), undefined)).toThrow(/KEY is not set/);
    const bearer = partnerSchema.parse({
      ...oauthPartner(),
      auth: { type: 'bearer', tokenEnv: 'TOKEN_ENV' },
    });
    expect(() => createAuthProvider(bearer, undefined)).toThrow(/TOKEN_ENV is not set/);
  });
});
