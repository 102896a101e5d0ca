// A captured partner token works once (issue 9 §3): its `jti` is kept in PostgreSQL until the token
// expires, so a second use is refused 401 by this process and by any other on the same database —
// including to POST a new referral. A token issued in the future (beyond the tolerance) is refused.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_S, createAuthenticator } from '../../../src/service/authenticate.js';
import { appConfigSchema } from '../../../src/settings/app-config.js';
import { navbridgeExamples } from '../../support/fhir-examples.js';
import { publicJwk } from '../../support/keys.js';
import { type Harness, startHarness } from '../navigator-api/harness.js';

describe('JWT replay', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const read = (token: string) =>
    request(h.app).get('/fhir/Task?focus=ServiceRequest/sr-1').set('Authorization', `Bearer ${token}`);

  it('refuses the second use of a token, for reads and for a new referral', async () => {
    const token = await h.sign(h.partnerA);
    expect((await read(token)).status).toBe(200);
    const again = await read(token);
    expect(again.status).toBe(401);
    expect(again.get('WWW-Authenticate')).toMatch(/error="invalid_token"/);
    expect(again.body.issue[0].details.coding[0].code).toBe('REC_UNAUTHORIZED');

    const post = await h.sign(h.partnerA);
    const sr = navbridgeExamples().gravity[0]!.serviceRequest();
    const send = () =>
      request(h.app)
        .post('/fhir/ServiceRequest')
        .set('Authorization', `Bearer ${post}`)
        .set('Content-Type', 'application/fhir+json')
        .send(JSON.stringify(sr));
    expect((await send()).status).not.toBe(401);
    const replay = await send();
    expect(replay.status).toBe(401);
  });

  it('a token seen by one API process is refused by another on the same database', async () => {
    const token = await h.sign(h.partnerB);
    expect((await read(token)).status).toBe(200);
    // Another process: its own authenticator over the same PostgreSQL schema.
    const { rows } = await h.t.sql.query(`SELECT count(*)::int AS n FROM seen_tokens`);
    expect(rows[0].n).toBeGreaterThan(0);
    const other = createAuthenticator({
      config: appConfigSchema.parse({
        sites: ['leeds-north'],
        publicBaseUrl: 'http://navbridge.test/fhir',
        partners: [
          {
            id: 'gp-b',
            name: 'b',
            kind: 'gp-practice',
            odsCodes: ['W97001'],
            baseUrl: 'http://127.0.0.1:9/fhir',
            mode: 'transaction',
            receives: ['referral-status'],
            inbound: { clientId: h.partnerB.clientId, publicKeysEnv: 'B_JWKS', defaultSite: 'leeds-north' },
          },
        ],
      }),
      secrets: {
        adminToken: undefined,
        jwks: {
          B_JWKS: JSON.stringify({
            keys: [await publicJwk(h.partnerB)],
          }),
        },
      },
      db: h.t.db,
      now: () => h.clock.now,
    });
    await expect(other({ bearer: token })).rejects.toMatchObject({ code: 'REC_UNAUTHORIZED' });
    // A fresh token from the same partner is accepted there.
    await expect(other({ bearer: await h.sign(h.partnerB) })).resolves.toEqual({
      kind: 'partner',
      partnerId: 'gp-b',
    });
  });

  it('refuses a token issued in the future beyond the clock tolerance, and takes one within it', async () => {
    const nowS = Math.floor(h.clock.now.getTime() / 1000);
    expect((await read(await h.sign(h.partnerA, { iat: nowS + CLOCK_TOLERANCE_S + 60 }))).status).toBe(401);
    expect((await read(await h.sign(h.partnerA, { iat: nowS + CLOCK_TOLERANCE_S - 5 }))).status).toBe(200);
  });

  it('after the token has expired its id may be used again only in a new, valid token', async () => {
    const token = await h.sign(h.partnerA, {}, { expIn: 60 });
    expect((await read(token)).status).toBe(200);
    const saved = h.clock.now;
    h.clock.now = new Date(saved.getTime() + 10 * 60_000);
    try {
      // The old token is expired: refused for that reason, whatever the store says.
      expect((await read(token)).status).toBe(401);
    } finally {
      h.clock.now = saved;
    }
  });
});
