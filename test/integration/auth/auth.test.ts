// Authentication: partner JWTs (RS256 via a JWKS in an env var, ES256 via a JWKS URL) with every SMART
// Backend Services rule, site API keys, the admin token; 401 with WWW-Authenticate, 403 by kind.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Harness, SITE_X_KEY, startHarness } from '../navigator-api/harness.js';

describe('authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  /** /api/v1 is for sites: a valid partner token gets 403 (known, not allowed), an invalid one 401. */
  const asBearer = (token: string) =>
    request(h.app).get('/api/v1/referrals').set('Authorization', `Bearer ${token}`);
  const expect401 = async (token: string) => {
    const res = await asBearer(token);
    expect(res.status).toBe(401);
    expect(res.get('WWW-Authenticate')).toMatch(/^Bearer realm="navbridge", error="invalid_token"$/);
    expect(res.body.issue[0].details.coding[0].code).toBe('REC_UNAUTHORIZED');
    expect(JSON.stringify(res.body)).not.toContain(token.slice(-20));
  };

  it('accepts a valid RS256 token (JWKS in an env var) and ES256 token (JWKS URL) as the partner', async () => {
    for (const p of [h.partnerA, h.partnerB]) {
      const res = await asBearer(await h.sign(p));
      expect(res.status).toBe(403);
      expect(res.body.issue[0].details.coding[0].code).toBe('REC_FORBIDDEN');
    }
  });

  it('refuses a token for another audience, expired, too long-lived, without jti, or iss ≠ sub', async () => {
    const p = h.partnerA;
    await expect401(await h.sign(p, { aud: 'https://elsewhere.example/fhir' }));
    await expect401(await h.sign(p, {}, { expIn: -120 }));
    await expect401(await h.sign(p, {}, { expIn: 3600 }));
    await expect401(await h.sign(p, {}, { omit: ['jti'] }));
    await expect401(await h.sign(p, {}, { omit: ['exp'] }));
    await expect401(await h.sign(p, { sub: 'someone-else' }));
    // Within the limits (5 minutes, a little clock skew) it is accepted.
    expect((await asBearer(await h.sign(p, {}, { expIn: 300 }))).status).toBe(403);
  });

  it('refuses a token signed by another key, another partner’s key, HS256 or alg none', async () => {
    await expect401(await h.sign(h.stranger));
    // Partner B's key claiming to be partner A.
    await expect401(await h.sign({ ...h.partnerB, clientId: h.partnerA.clientId }));
    const now = Math.floor(h.clock.now.getTime() / 1000);
    const claims = {
      iss: h.partnerA.clientId,
      sub: h.partnerA.clientId,
      aud: 'http://navbridge.test/fhir',
      jti: randomUUID(),
      exp: now + 60,
    };
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect401(hs);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await expect401(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    await expect401(await h.sign({ ...h.partnerA, clientId: 'nobody' }));
    await expect401('not-a-jwt');
  });

  it('a navigator site may present a JWT instead of an API key: its own site only, never /fhir or /admin', async () => {
    const token = await h.sign(h.siteX);
    const list = await asBearer(token);
    expect(list.status).toBe(200);
    const other = await request(h.app)
      .get('/api/v1/referrals?site=cardiff-vale')
      .set('Authorization', `Bearer ${await h.sign(h.siteX)}`);
    expect(other.status).toBe(403);
    const fhir = await request(h.app)
      .get('/fhir/Task/00000000-0000-4000-8000-000000000000')
      .set('Authorization', `Bearer ${await h.sign(h.siteX)}`);
    expect(fhir.status).toBe(403);
    await expect401(await h.sign(h.siteX, { aud: 'https://elsewhere.example/fhir' }));
    await expect401(await h.sign({ ...h.stranger, clientId: h.siteX.clientId }));
  });

  it('401 without credentials (no error attribute), with a wrong API key, or a malformed header', async () => {
    const none = await request(h.app).get('/api/v1/referrals');
    expect(none.status).toBe(401);
    expect(none.get('WWW-Authenticate')).toBe('Bearer realm="navbridge"');
    expect(none.body.resourceType).toBe('OperationOutcome');
    const wrongKey = await request(h.app).get('/api/v1/referrals').set('X-API-Key', `${SITE_X_KEY}x`);
    expect(wrongKey.status).toBe(401);
    expect((await request(h.app).get('/api/v1/referrals').set('Authorization', 'Basic abc')).status).toBe(
      401,
    );
  });

  it('a site key reaches /api/v1 but not /admin (403); the admin token reaches both', async () => {
    expect((await request(h.app).get('/api/v1/referrals').set('X-API-Key', SITE_X_KEY)).status).toBe(200);
    expect((await request(h.app).get('/admin/dead-letters').set('X-API-Key', SITE_X_KEY)).status).toBe(403);
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await request(h.app).get('/api/v1/referrals').set(admin)).status).toBe(200);
    expect((await request(h.app).get('/admin/dead-letters').set(admin)).status).toBe(200);
    expect(
      (
        await request(h.app)
          .get('/admin/dead-letters')
          .set('Authorization', `Bearer ${await h.sign(h.partnerA)}`)
      ).status,
    ).toBe(403);
  });

  it('leaves /health, /api/openapi.json and GET /fhir/metadata open', async () => {
    for (const path of ['/health', '/api/openapi.json', '/fhir/metadata'])
      expect((await request(h.app).get(path)).status).toBe(200);
    expect((await request(h.app).get('/fhir/Task?focus=ServiceRequest/x')).status).toBe(401);
  });
});
