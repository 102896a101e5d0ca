// The OpenAPI document describes exactly the routes express serves: every registered route is in it,
// and nothing in it is missing from express.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every (method, path) express would route, in OpenAPI path syntax. */
function registeredRoutes(app: Harness['app']): string[] {
  const out: string[] = [];
  const norm = (p: string) =>
    (
      p
        .replace(/\\\$/g, '$')
        .replace(/:(\w+)/g, '{$1}')
        .replace(/\/+$/, '') || '/'
    ).replace(/\/\//g, '/');
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths)
          for (const m of Object.keys(layer.route.methods))
            if (m !== '_all') out.push(`${m} ${norm(prefix + p)}`);
      } else if (layer.handle?.stack) {
        const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + (raw === '/' ? '' : raw));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(out)].sort();
}

describe('OpenAPI description', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('is served openly as OpenAPI 3.1', async () => {
    const res = await request(h.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.components.securitySchemes).toHaveProperty('apiKey');
  });

  it('lists every route express registers, and no route express lacks', async () => {
    const doc = (await request(h.app).get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    const registered = registeredRoutes(h.app);
    // The walk must see the mounted routers, not just the app's own routes.
    expect(registered).toEqual(
      expect.arrayContaining([
        'get /api/v1/referrals',
        'post /admin/dead-letters/{id}/replay',
        'get /fhir/metadata',
      ]),
    );
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented.filter((d) => !registered.includes(d))).toEqual([]);
  });
});
