// The inbound FHIR API rig the fhir-api suites share: navbridge from the one test factory on a fresh
// schema, three partners (yas sends BaRS messages; gravity-trust transactions into Leeds only;
// no-default has no default site), the FHIR router on an express app whose caller each test sets.
import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_BODY_LIMITS } from '../../../src/api/body.js';
import { errorHandler, notFoundHandler } from '../../../src/api/errors.js';
import { fhirRouter } from '../../../src/api/fhir/router.js';
import type { TestDb } from '../../support/db.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';

export const FHIR = 'application/fhir+json';

export interface FhirApiRig {
  readonly t: TestDb;
  readonly nb: TestNavbridge;
  readonly app: express.Express;
  /** Every later request acts as this partner (as authentication would set the caller). */
  as(partnerId: string): void;
  /** POST to /fhir<path>; a $process-message gets fresh X-Request-Id and X-Correlation-Id unless given. */
  post(path: string, body: string | object, headers?: Record<string, string>): request.Test;
  count(sql: string, params?: unknown[]): Promise<number>;
}

/** Registers beforeAll/afterAll in the calling describe block; the rig's fields are set in beforeAll. */
export function fhirApiRig(clock = new Date('2026-03-02T09:00:00Z')): FhirApiRig {
  let principal: { kind: 'partner'; partnerId: string } = { kind: 'partner', partnerId: 'yas' };
  const rig = {
    as: (partnerId: string) => {
      principal = { kind: 'partner', partnerId };
    },
    post: (path: string, body: string | object, headers: Record<string, string> = {}) => {
      let r = request(rig.app).post(`/fhir${path}`).set('Content-Type', FHIR);
      // BaRS requires both ids on a message; a test that gives one keeps it.
      if (path === '/$process-message')
        r = r.set({ 'X-Request-Id': randomUUID(), 'X-Correlation-Id': randomUUID() });
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return r.send(typeof body === 'string' ? body : JSON.stringify(body));
    },
    count: async (sql: string, params: unknown[] = []) =>
      Number((await rig.t.sql.query(sql, params)).rows[0].n),
  } as FhirApiRig & { t: TestDb; nb: TestNavbridge; app: express.Express };

  beforeAll(async () => {
    const inbound = (defaultSite?: string, sites = ['leeds-north', 'cardiff-vale']) => ({
      clientId: `client-${defaultSite ?? 'none'}-${Math.random()}`,
      publicKeysEnv: 'UNUSED_JWKS',
      sites,
      ...(defaultSite ? { defaultSite } : {}),
    });
    const partner = (id: string, name: string, kind: string, ods: string, mode: string) => ({
      id,
      name,
      kind,
      odsCodes: [ods],
      baseUrl: 'http://127.0.0.1:9/fhir',
      mode,
      receives: ['referral-status'],
    });
    rig.nb = await buildTestNavbridge({
      clock: () => clock,
      config: { publicBaseUrl: 'http://nav.example/fhir' },
      partners: [
        {
          ...partner('yas', 'Yorkshire Ambulance Service', 'trust', 'RND', 'message'),
          dosServiceId: '2222222222',
          inbound: inbound('leeds-north'),
        },
        // Gravity Trust refers into Leeds only (inbound.sites).
        {
          ...partner('gravity-trust', 'Gravity Trust', 'trust', 'RGD', 'transaction'),
          inbound: inbound('leeds-north', ['leeds-north']),
        },
        {
          ...partner('no-default', 'No default site', 'gp-practice', 'B86016', 'transaction'),
          inbound: inbound(),
        },
      ],
    });
    rig.t = rig.nb.t;
    rig.app = express();
    rig.app.use((_req, res, next) => {
      res.locals.caller = principal;
      next();
    });
    rig.app.use(
      '/fhir',
      fhirRouter({
        navbridge: rig.nb.navbridge,
        publicBaseUrl: 'http://nav.example/fhir',
        now: () => clock,
        limits: { ...DEFAULT_BODY_LIMITS, bytes: 200 * 1024 },
        authenticate: (_req, _res, next) => next(),
      }),
    );
    rig.app.use(notFoundHandler);
    rig.app.use(errorHandler(() => {}));
  });

  afterAll(async () => {
    await rig.nb?.close();
  });
  return rig;
}
