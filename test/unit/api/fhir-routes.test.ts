// The FHIR route table is both what express registers and what OpenAPI describes: each route has its
// description, a path express matches as the table says, and the document lists exactly the table.
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { FHIR_ROUTES } from '../../../src/api/fhir/routes.js';
import { fhirPaths } from '../../../src/api/openapi/fhir.js';
import { expressPath } from '../../../src/api/route-table.js';

describe('FHIR route table', () => {
  it('gives every route a summary and its responses, and no route twice', () => {
    const keys = FHIR_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of FHIR_ROUTES) {
      expect(typeof r.doc.summary, r.path).toBe('string');
      expect(Object.keys(r.doc.responses as object).length, r.path).toBeGreaterThan(0);
    }
  });

  it('turns {params} and a literal $ into express paths that match the concrete URL', async () => {
    expect(expressPath('/{type}/$validate')).toBe('/:type/\\$validate');
    expect(expressPath('/Task/{id}/_history/{vid}')).toBe('/Task/:id/_history/:vid');
    const app = express();
    for (const path of ['/{type}/$validate', '/Task/{id}/_history/{vid}', '/$process-message'] as const)
      app.get(expressPath(path), (req, res) => res.json({ path, params: req.params }));
    // Each concrete URL reaches the route written for it.
    for (const [path, url] of [
      ['/{type}/$validate', '/Task/$validate'],
      ['/Task/{id}/_history/{vid}', '/Task/t-1/_history/2.1'],
      ['/$process-message', '/$process-message'],
    ] as const)
      expect((await request(app).get(url)).body.path, url).toBe(path);
    expect((await request(app).get('/Task/t-1/_history/2.1')).body.params).toEqual({ id: 't-1', vid: '2.1' });
    expect((await request(app).get('/Task/$validate')).body.params).toEqual({ type: 'Task' });
    expect((await request(app).get('/$process-message')).status).toBe(200);
    expect((await request(app).get('/process-message')).status).toBe(404);
  });

  it('is the OpenAPI description of /fhir: every route, open ones without security', () => {
    const documented = Object.entries(fhirPaths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m} ${p}`),
    );
    expect(documented.sort()).toEqual(
      FHIR_ROUTES.map((r) => `${r.method} ${r.path === '/' ? '/fhir' : `/fhir${r.path}`}`).sort(),
    );
    const metadata = (fhirPaths['/fhir/metadata'] as { get: { security: unknown[] } }).get;
    expect(metadata.security).toEqual([]);
    const read = (fhirPaths['/fhir/Task/{id}/_history/{vid}'] as { get: { security: unknown[] } }).get;
    expect(read.security.length).toBeGreaterThan(0);
  });
});
