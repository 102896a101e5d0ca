// Partner authentication end to end: OAuth2 client credentials with a signed JWT assertion (verified
// by a local token endpoint against the public half of a key pair made here) and a static bearer token.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFixture } from '../../support/fixtures.js';
import { privateKeyPem, signingKey } from '../../support/keys.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { exchangeFor, GP_ODS, type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const CLIENT_ID = 'navbridge-test-client';
const KID = 'test-key-1';
const STATIC_TOKEN = `static-${randomBytes(8).toString('hex')}`;

interface TokenEndpoint {
  url: string;
  issued: string[];
  /** Why an assertion was refused, if one was. */
  refused: string[];
  close(): Promise<void>;
}

async function startTokenEndpoint(publicKey: Parameters<typeof jwtVerify>[1]): Promise<TokenEndpoint> {
  const issued: string[] = [];
  const refused: string[] = [];
  let url = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        if (form.get('grant_type') !== 'client_credentials') throw new Error('grant_type');
        if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
          throw new Error('client_assertion_type');
        const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion') ?? '', publicKey, {
          issuer: CLIENT_ID,
          subject: CLIENT_ID,
          audience: url,
          algorithms: ['RS256'],
        });
        if (protectedHeader.kid !== KID) throw new Error('kid');
        if (!payload.jti) throw new Error('jti');
        if (!payload.exp || payload.exp - Math.floor(Date.now() / 1000) > 300) throw new Error('exp');
        const token = randomBytes(16).toString('hex');
        issued.push(token);
        answer(200, { access_token: token, token_type: 'bearer', expires_in: 599 });
      } catch (err) {
        refused.push((err as Error).message);
        answer(401, { error: 'invalid_client' });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  return {
    url,
    issued,
    refused,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('partner authentication', () => {
  let trust: PartnerServer;
  let gp: PartnerServer;
  let tokens: TokenEndpoint;
  let h: Harness;

  beforeAll(async () => {
    const key = await signingKey('RS256', KID);
    tokens = await startTokenEndpoint(key.publicKey);
    [trust, gp] = await Promise.all([
      startPartnerServer({ name: 'trust' }),
      startPartnerServer({ name: 'gp' }),
    ]);
    h = await startHarness(
      [
        partner({
          id: 'trust-oauth',
          baseUrl: trust.url,
          mode: 'transaction',
          auth: {
            type: 'oauth2-client-credentials',
            tokenUrl: tokens.url,
            clientId: CLIENT_ID,
            privateKeyEnv: 'TRUST_PRIVATE_KEY',
            keyId: KID,
          },
        }),
        partner({
          id: 'gp-bearer',
          kind: 'gp-practice',
          odsCodes: [GP_ODS],
          baseUrl: gp.url,
          mode: 'document',
          receives: ['referral-status'],
          auth: { type: 'bearer', tokenEnv: 'GP_TOKEN' },
        }),
      ],
      { env: { TRUST_PRIVATE_KEY: await privateKeyPem(key), GP_TOKEN: STATIC_TOKEN } },
    );
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([trust?.close(), gp?.close(), tokens?.close()]);
  });

  it('gets an access token with a signed client assertion, sends it as Bearer, and reuses it', async () => {
    const sent = [
      await h.service.submit('referral', referralFromTrust()),
      await h.service.submit('event', recordFixture('event-contacted')),
      await h.service.submit('event', recordFixture('event-contact-attempted')),
    ];
    for (const r of sent) await h.waitStatus(exchangeFor(r, 'trust-oauth'), 'delivered');
    expect(tokens.refused).toEqual([]);
    expect(tokens.issued).toHaveLength(1);
    const writes = trust.requestLog().filter((e) => e.method !== 'GET');
    expect(writes.length).toBe(3);
    for (const w of writes) expect(w.headers.authorization).toBe(`Bearer ${tokens.issued[0]}`);
  });

  it('sends a static bearer token from the environment', async () => {
    await h.settled();
    const writes = gp.requestLog().filter((e) => e.method !== 'GET');
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(w.headers.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
    // Each partner gets only its own credential.
    expect(trust.requestLog().some((e) => e.headers.authorization?.includes(STATIC_TOKEN))).toBe(false);
  });
});
