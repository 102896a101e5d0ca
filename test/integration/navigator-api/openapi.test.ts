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

  it('gives every operation a unique operationId, a licence, and the record bodies from the zod schemas', async () => {
    const doc = (await request(h.app).get('/api/openapi.json')).body as {
      info: { license?: { name: string } };
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { oneOf?: unknown[]; properties?: Record<string, unknown> }> };
    };
    expect(doc.info.license?.name).toBe('MIT');
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(ids.every((id) => typeof id === 'string' && /^[a-z]+[A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/v1/records']?.post?.operationId).toBe('postApiV1Records');
    expect(doc.components.schemas.RecordSubmission?.oneOf).toHaveLength(4);
    // The referral record's own fields, not `additionalProperties: true`.
    expect(Object.keys(doc.components.schemas.ReferralRecord?.properties ?? {})).toEqual(
      expect.arrayContaining(['id', 'site', 'person']),
    );
    expect(Object.keys(doc.paths['/fhir/ServiceRequest']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['400', '401', '403', '406', '409', '413', '415', '422']),
    );
  });

  it('serves a rendered view at /api/docs: plain HTML, every operation, nothing fetched from elsewhere', async () => {
    const doc = (await request(h.app).get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const res = await request(h.app).get('/api/docs');
    expect(res.status).toBe(200);
    expect(res.get('Content-Type')).toMatch(/^text\/html/);
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) expect(res.text).toContain(`id="${op.operationId}"`);
    expect(res.text).not.toMatch(/<script|<link[^>]+href="https?:|src="https?:/);
    expect(res.text).toContain('<html lang="en">');
  });
});
