// The navigator route table is both what express registers and what OpenAPI describes: each route has
// its operation, the router serves exactly the table, and the document lists exactly the table.
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { navigatorRouter } from '../../../src/api/navigator/router.js';
import { NAVIGATOR_ROUTES } from '../../../src/api/navigator/routes.js';
import { operationIdOf } from '../../../src/api/openapi/conventions.js';
import { navigatorPaths } from '../../../src/api/openapi/navigator.js';
import type { Navbridge } from '../../../src/service/navbridge.js';

const key = (method: string, path: string) => `${method} ${path}`;

describe('navigator route table', () => {
  it('gives every route an operationId, a summary and its 4xx responses, and no route twice', () => {
    const keys = NAVIGATOR_ROUTES.map((r) => key(r.method, r.path));
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of NAVIGATOR_ROUTES) {
      // The id the document's convention would give it, so the explicit ids stay stable.
      expect(r.doc.operationId, r.path).toBe(operationIdOf(r.method, `/api/v1${r.path}`));
      expect(r.doc.summary.length, r.path).toBeGreaterThan(0);
      expect(Object.keys(r.doc.responses), r.path).toEqual(expect.arrayContaining(['401', '403']));
    }
    const records = NAVIGATOR_ROUTES.find((r) => r.method === 'post' && r.path === '/records');
    expect(Object.keys(records?.doc.responses ?? {}).sort()).toEqual(
      ['202', '400', '401', '403', '409', '413', '415', '422'].sort(),
    );
  });

  it('is the OpenAPI description of /api/v1: every route, tagged, for a site or the admin', () => {
    const documented = Object.entries(navigatorPaths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => key(m, p)),
    );
    expect(documented.sort()).toEqual(NAVIGATOR_ROUTES.map((r) => key(r.method, `/api/v1${r.path}`)).sort());
    const show = (
      navigatorPaths['/api/v1/referrals/{id}'] as { get: { tags: string[]; security: unknown[] } }
    ).get;
    expect(show.tags).toEqual(['navigator']);
    expect(show.security).toEqual([{ apiKey: [] }, { adminToken: [] }]);
  });

  it('is what the router serves: each concrete URL reaches its route, anything else is not routed', async () => {
    const reached: string[] = [];
    // Every use case records that it was reached and answers; the handlers' own input checks run first.
    const nb = new Proxy(
      {},
      {
        get: (_t, name) => async () => {
          reached.push(String(name));
          return { ok: true };
        },
      },
    ) as Navbridge;
    const app = express();
    app.use(express.json());
    app.use((_req, res, next) => {
      res.locals.caller = { kind: 'admin', id: 'test-admin' };
      next();
    });
    app.use(navigatorRouter(nb));
    app.use((_req, res) => res.status(404).json({ routed: false }));
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
      res.status(400).json({ error: true }),
    );

    const uuid = '6f1c3d1e-2b1a-4c8e-9f00-0123456789ab';
    for (const [method, url, useCase] of [
      ['get', '/referrals', 'listReferrals'],
      ['get', '/referrals/r-1', 'showReferral'],
      ['get', `/exchanges/${uuid}`, 'showExchangeState'],
      ['get', '/reports/kpi?from=2026-01-01&to=2026-01-31', 'kpiReport'],
    ] as const) {
      reached.length = 0;
      const res = await request(app)[method](url);
      expect(res.status, url).toBe(200);
      expect(reached, url).toEqual([useCase]);
    }
    reached.length = 0;
    const res = await request(app).post('/records').send({ recordType: 'referral', record: {} });
    expect(res.status).toBe(202);
    expect(reached).toEqual(['submitRecord']);
    // The handler's zod envelope still refuses before any use case runs.
    reached.length = 0;
    expect((await request(app).post('/records').send({ recordType: 'nope', record: {} })).status).toBe(400);
    expect(reached).toEqual([]);
    // Not in the table: not served.
    expect((await request(app).delete('/referrals/r-1')).status).toBe(404);
    expect((await request(app).get('/exchanges')).status).toBe(404);
  });
});
