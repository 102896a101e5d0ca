// Per-caller rate limits and failed-authentication backoff (issue 9 §2), counted in Redis and shared
// by API processes: two express apps on one Redis prefix stand for two `navbridge serve` processes.
// A 429 is a BaRS OperationOutcome with Retry-After; while Redis is away each process counts in memory.
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { redisRateStore } from '../../../src/delivery/rate-store.js';
import { appConfigSchema } from '../../../src/settings/app-config.js';
import { clientAssertion, jwksJson, type SigningKey, signingKey } from '../../support/keys.js';
import { buildTestNavbridge, TEST_AUDIENCE, type TestNavbridge } from '../../support/navbridge.js';
import { type RedisServer, startRedisServer } from '../../support/processes.js';
import { connectRedis, randomPrefix } from '../../support/redis.js';

const partner = (id: string) => ({
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
  },
});

describe('rate limits', () => {
  let redisServer: RedisServer;
  let nb: TestNavbridge;
  const keys: Record<string, SigningKey> = {};
  const token = async (id: string) => ({
    Authorization: `Bearer ${await clientAssertion(keys[id]!, { clientId: `${id}-client`, audience: TEST_AUDIENCE })}`,
  });
  const rateLimits = {
    windowSeconds: 600,
    partner: 6,
    site: 100,
    admin: 100,
    address: 1_000,
    failedAuth: 3,
    failedAuthWindowSeconds: 600,
    overrides: { 'gp-b': 2 },
  };

  /** Another API process: its own app and counter stores, the same Redis and prefix. */
  function secondProcess(prefix: string): Express {
    const redis = connectRedis(redisServer.url);
    redis.on('error', () => {});
    return buildApp({
      navbridge: nb.navbridge,
      publicBaseUrl: TEST_AUDIENCE,
      logger: pino({ level: 'silent' }),
      http: appConfigSchema.parse({ sites: ['leeds-north'], http: { rateLimits } }).http,
      rateStores: (name) => redisRateStore(redis, prefix, name),
    });
  }
  let apps: Express[];

  beforeAll(async () => {
    redisServer = await startRedisServer();
    keys['gp-a'] = await signingKey('RS256');
    keys['gp-b'] = await signingKey('ES256');
    nb = await buildTestNavbridge({
      delivery: 'queues',
      redisUrl: redisServer.url,
      partners: [partner('gp-a'), partner('gp-b')],
      config: { http: { rateLimits } },
      env: { GP_A_JWKS: await jwksJson(keys['gp-a']), GP_B_JWKS: await jwksJson(keys['gp-b']) },
    });
    apps = [nb.app, secondProcess(nb.prefix)];
  }, 30_000);
  afterAll(async () => {
    await nb?.close();
    await redisServer?.kill();
  });

  const read = async (app: Express, headers: Record<string, string>) =>
    request(app).get('/fhir/Task?focus=ServiceRequest/sr-1').set(headers);

  it('counts a partner across both processes and answers 429 with Retry-After and an OperationOutcome', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await read(apps[i % 2]!, await token('gp-a'))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    for (const app of apps) {
      const res = await read(app, await token('gp-a'));
      expect(res.status).toBe(429);
      expect(Number(res.get('Retry-After'))).toBeGreaterThan(0);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].details.coding[0].code).toBe('REC_TOO_MANY_REQUESTS');
      expect(res.body.issue[0].code).toBe('throttled');
    }
  });

  it('limits each caller on its own, with a per-partner override', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await read(apps[i % 2]!, await token('gp-b'))).status);
    expect(statuses).toEqual([200, 200, 429]);
    // /metadata and /health are not a partner's requests: they stay open.
    expect((await request(apps[0]!).get('/fhir/metadata')).status).toBe(200);
    expect((await request(apps[1]!).get('/health')).status).toBe(200);
  });

  it('after failed authentications from an address, refuses it 429 even with good credentials', async () => {
    // A fresh pair of processes on another prefix: the partner limit above is spent.
    const prefix = randomPrefix();
    const pair = [secondProcess(prefix), secondProcess(prefix)];
    const bad = { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' };
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((await read(pair[i % 2]!, bad)).status);
    expect(seen).toEqual([401, 401, 401]);
    // The counting is done when the 401 has gone out: wait for the third to land in Redis.
    const redis = connectRedis(redisServer.url);
    try {
      await expect
        .poll(async () =>
          Number(
            (await redis.get(`${prefix}:rl:failed-auth:127.0.0.1`)) ??
              (await redis.get(`${prefix}:rl:failed-auth:::ffff:127.0.0.1`)) ??
              0,
          ),
        )
        .toBeGreaterThanOrEqual(3);
    } finally {
      redis.disconnect();
    }
    for (const app of pair) {
      const res = await read(app, await token('gp-a'));
      expect(res.status).toBe(429);
      expect(res.body.issue[0].diagnostics).toMatch(/failed authentications/);
      expect(Number(res.get('Retry-After'))).toBeGreaterThan(0);
    }
  });

  it('keeps limiting while Redis is gone, in each process memory, and shares the counts again when it is back', async () => {
    const prefix = randomPrefix();
    const outage = secondProcess(prefix);
    await redisServer.kill();
    // A partner over its limit: refused 429 (not let through, not a 500, not a wait on Redis).
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await read(outage, await token('gp-a'))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const refused = await read(outage, await token('gp-a'));
    expect(refused.status).toBe(429);
    expect(refused.body.issue[0].details.coding[0].code).toBe('REC_TOO_MANY_REQUESTS');
    expect(Number(refused.get('Retry-After'))).toBeGreaterThan(0);
    // Failed authentications from an address are still counted, and block it.
    const bad = { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' };
    const other = secondProcess(randomPrefix());
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((await read(other, bad)).status);
    expect(seen).toEqual([401, 401, 401]);
    await expect
      .poll(async () => (await read(other, await token('gp-a'))).body.issue?.[0]?.diagnostics ?? '', {
        timeout: 20_000,
      })
      .toMatch(/failed authentications/);

    // Redis back: both processes of the prefix count in Redis again (gp-b's 2 are shared).
    await redisServer.start();
    const redis = connectRedis(redisServer.url);
    try {
      await expect
        .poll(async () => (await redis.ping().catch(() => '')) === 'PONG', { timeout: 20_000 })
        .toBe(true);
      const peer = secondProcess(prefix);
      // Wait until the outage process's own Redis connection is back (its hits land in Redis).
      await expect
        .poll(
          async () => {
            await read(outage, await token('gp-b'));
            return Number((await redis.get(`${prefix}:rl:caller:partner:gp-b`)) ?? 0);
          },
          { timeout: 30_000, interval: 200 },
        )
        .toBeGreaterThanOrEqual(1);
      const hits = Number(await redis.get(`${prefix}:rl:caller:partner:gp-b`));
      const left = Math.max(0, 2 - hits);
      for (let i = 0; i < left; i++) expect((await read(peer, await token('gp-b'))).status).toBe(200);
      expect((await read(peer, await token('gp-b'))).status).toBe(429);
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});
