// FHIR REST conventions through the HTTP API against real PostgreSQL: Prefer return= on create,
// Location with _history/{vid}, versioned reads (ETag, meta), 405 for unsupported interactions on a
// known type, 406 for XML, $validate and the CapabilityStatement's profiles and software version.
import { readFileSync } from 'node:fs';
import type express from 'express';
import type { Bundle, CapabilityStatement, OperationOutcome, Task } from 'fhir/r4.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../../../src/fhir/canonical.js';
import { serviceRequestIdOf } from '../../support/fixtures.js';
import type { TestNavbridge } from '../../support/navbridge.js';
import { BASE, errorCode, FHIR, referral, startPartnerApp } from './partner-app.js';

const PKG = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('FHIR REST conventions', () => {
  let nb: TestNavbridge;
  let app: express.Express;
  const clock = new Date('2026-03-02T09:00:00Z');

  beforeAll(async () => {
    ({ nb, app } = await startPartnerApp(clock));
  });
  afterAll(async () => {
    await nb?.close();
  });

  const create = (prefer?: string, body: object = referral()) => {
    const r = request(app).post('/fhir/ServiceRequest').set('Content-Type', FHIR);
    return (prefer ? r.set('Prefer', prefer) : r).send(JSON.stringify(body));
  };

  it('honours Prefer: return=minimal|representation|OperationOutcome on create, Location with _history/{vid}', async () => {
    const minimal = await create('return=minimal');
    expect(minimal.status).toBe(201);
    expect(minimal.text ?? '').toBe('');
    expect(minimal.get('Location')).toMatch(
      /^http:\/\/nav\.example\/fhir\/ServiceRequest\/[0-9a-f-]{36}\/_history\/1$/,
    );

    const sr = referral();
    const rep = await create('return=representation', sr);
    expect(rep.status).toBe(201);
    expect(rep.body.resourceType).toBe('ServiceRequest');
    expect(rep.body.id).toBe(serviceRequestIdOf(rep.get('Location')));
    expect(rep.body.meta.versionId).toBe('1');
    expect(rep.get('ETag')).toBe('W/"1"');
    // The same referral sent again is the same version; changed, it is the next one.
    const same = await create(undefined, sr);
    expect(same.get('Location')).toBe(`${BASE}/ServiceRequest/${rep.body.id}/_history/1`);
    const again = await create('return=OperationOutcome', {
      ...sr,
      reasonCode: [{ text: 'Low mood, worse' }],
    });
    expect(again.status).toBe(201);
    expect(again.body.resourceType).toBe('OperationOutcome');
    expect(again.get('Location')).toBe(`${BASE}/ServiceRequest/${rep.body.id}/_history/2`);

    const bad = await create('return=everything');
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['Prefer']);
  });

  it('answers reads with meta.versionId, meta.lastUpdated and a weak ETag', async () => {
    const res = await create();
    const srId = serviceRequestIdOf(res.get('Location'));
    const search = await request(app).get(`/fhir/Task?focus=ServiceRequest/${srId}`);
    const task = (search.body as Bundle).entry?.[0]?.resource as Task;
    expect(task.meta?.versionId).toMatch(/^\d+$/);
    const read = await request(app).get(`/fhir/Task/${task.id}`);
    expect(read.status).toBe(200);
    expect(read.body.meta.versionId).toBe(task.meta?.versionId);
    expect(Date.parse(read.body.meta.lastUpdated)).not.toBeNaN();
    expect(read.get('ETag')).toBe(`W/"${task.meta?.versionId}"`);
  });

  it('answers 405 with an OperationOutcome and Allow for unsupported interactions on a known type', async () => {
    const cases = [
      request(app).delete('/fhir/ServiceRequest/abc'),
      request(app).put('/fhir/Task/abc').set('Content-Type', FHIR).send('{}'),
      request(app).post('/fhir/Task').set('Content-Type', FHIR).send('{}'),
      request(app).patch('/fhir/ServiceRequest/abc'),
    ];
    for (const c of cases) {
      const res = await c;
      expect(res.status).toBe(405);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(errorCode(res.body)).toBe('REC_METHOD_NOT_ALLOWED');
      expect(res.get('Allow')).toMatch(/^(GET|POST)/);
    }
    // An unknown type is still 404.
    expect((await request(app).get('/fhir/Observation/abc')).status).toBe(404);
  });

  it('answers 406 for _format=xml and Accept: application/fhir+xml, JSON otherwise', async () => {
    for (const r of [
      request(app).get('/fhir/metadata?_format=xml'),
      request(app).get('/fhir/metadata').set('Accept', 'application/fhir+xml'),
      request(app).get('/fhir/Task/abc').set('Accept', 'application/xml;q=1, text/html'),
    ]) {
      const res = await r;
      expect(res.status).toBe(406);
      expect(res.get('Content-Type')).toMatch(/^application\/fhir\+json/);
      expect(errorCode(res.body)).toBe('REC_NOT_ACCEPTABLE');
    }
    for (const accept of [
      'application/fhir+json',
      'application/json',
      '*/*',
      'application/fhir+xml;q=0.9, */*;q=0.1',
    ])
      expect((await request(app).get('/fhir/metadata').set('Accept', accept)).status, accept).toBe(200);
    expect((await request(app).get('/fhir/metadata?_format=json')).status).toBe(200);
  });

  it('validates a resource against navbridge profiles with $validate (type-level and system-level)', async () => {
    const post = (path: string, body: object) =>
      request(app).post(`/fhir${path}`).set('Content-Type', FHIR).send(JSON.stringify(body));
    const bad = await post(`/Task/$validate?profile=navbridge-referral-task`, {
      resourceType: 'Task',
      status: 'bogus',
      intent: 'order',
    });
    expect(bad.status).toBe(200);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    expect(
      (bad.body as OperationOutcome).issue.some(
        (i) => i.severity === 'error' && i.expression?.[0]?.startsWith('Task.status'),
      ),
    ).toBe(true);
    const params = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { resourceType: 'Patient', gender: 'male' } },
        { name: 'profile', valueCanonical: PROFILES['navbridge-patient'] },
      ],
    };
    const viaParams = await post('/$validate', params);
    expect(viaParams.status).toBe(200);
    expect(viaParams.body.resourceType).toBe('OperationOutcome');
    const ok = await post('/Patient/$validate', { resourceType: 'Patient', gender: 'male' });
    expect(ok.status).toBe(200);
    expect(ok.body.issue).toEqual([
      expect.objectContaining({ severity: 'information', diagnostics: 'valid' }),
    ]);
    const mismatch = await post('/Task/$validate', { resourceType: 'Patient' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.issue[0].expression).toEqual(['resourceType']);
    const unknown = await post('/Task/$validate?profile=nope', { resourceType: 'Task' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue[0].diagnostics).toContain('navbridge-referral-task');
  });

  it('lists supported profiles, $validate, software.version and implementation in the CapabilityStatement', async () => {
    const cs = (await request(app).get('/fhir/metadata')).body as CapabilityStatement;
    expect(cs.software).toEqual({ name: 'navbridge', version: PKG.version });
    expect(cs.implementation?.url).toBe(BASE);
    const byType = new Map(cs.rest?.[0]?.resource?.map((r) => [r.type, r]));
    expect(byType.get('ServiceRequest')?.supportedProfile).toContain(PROFILES['navbridge-referral']);
    expect(byType.get('Task')?.supportedProfile).toEqual([
      PROFILES['navbridge-referral-task'],
      PROFILES['navbridge-onward-task'],
    ]);
    expect(cs.rest?.[0]?.operation?.map((o) => o.name)).toContain('validate');
  });
});
