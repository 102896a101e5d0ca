// REST interactions of the sandbox partner server over real HTTP: CRUD, identifier search,
// conditional create/update, If-Match, response headers and paging.
import type { Bundle, CarePlan, OperationOutcome, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { type FhirReply, fhir, SYS } from './helpers.js';

let server: PartnerServer;
beforeAll(async () => {
  server = await startPartnerServer({ name: 'trust', pageSize: 3 });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const plan = (value: string, status: CarePlan['status'] = 'active'): CarePlan => ({
  resourceType: 'CarePlan',
  identifier: [{ system: SYS, value }],
  status,
  intent: 'plan',
  subject: { reference: 'Patient/p1' },
});

describe('create, read, update', () => {
  it('creates with a server id, and answers 201 with Location, ETag and Last-Modified', async () => {
    const res = await fhir<CarePlan>(server.url, '/CarePlan', {
      body: { ...plan('a'), id: 'client-chosen' },
    });
    expect(res.status).toBe(201);
    const { id, meta } = res.body;
    expect(id).toBeDefined();
    expect(id).not.toBe('client-chosen');
    expect(meta?.versionId).toBe('1');
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('location')).toBe(`${server.url}/CarePlan/${id}/_history/1`);
    expect(new Date(res.headers.get('last-modified') ?? '').getTime()).not.toBeNaN();
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);

    const read = await fhir<CarePlan>(server.url, `/CarePlan/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.identifier?.[0]?.value).toBe('a');
    expect(read.headers.get('etag')).toBe('W/"1"');
  });

  it('updates by id, bumping the version; 404 on an unknown id; PUT to a new id creates (201)', async () => {
    const created = (await fhir<CarePlan>(server.url, '/CarePlan', { body: plan('a') })).body;
    const updated = await fhir<CarePlan>(server.url, `/CarePlan/${created.id}`, {
      method: 'PUT',
      body: { ...created, status: 'completed' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.meta?.versionId).toBe('2');
    expect(updated.headers.get('etag')).toBe('W/"2"');
    expect((await fhir(server.url, '/CarePlan/nope')).status).toBe(404);
    const upsert = await fhir(server.url, '/CarePlan/fixed-id', {
      method: 'PUT',
      body: { ...plan('b'), id: 'fixed-id' },
    });
    expect(upsert.status).toBe(201);
    expect(await server.history('CarePlan', created.id!)).toHaveLength(2);
  });

  it('rejects malformed JSON with 400 and a non-JSON content type with 415, without echoing the body', async () => {
    const bad = await fhir<OperationOutcome>(server.url, '/Patient', { body: '{"name": Siobhán' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain('Siobhán');
    const wrong = await fhir(server.url, '/Patient', {
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrong.status).toBe(415);
  });
});

describe('search', () => {
  it('finds by identifier system|value', async () => {
    await fhir(server.url, '/CarePlan', { body: plan('a') });
    await fhir(server.url, '/CarePlan', { body: plan('b') });
    const q = encodeURIComponent(`${SYS}|b`);
    const res = await fhir<Bundle>(server.url, `/CarePlan?identifier=${q}`);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    expect(res.body.total).toBe(1);
    const entry = res.body.entry?.[0];
    expect((entry?.resource as CarePlan | undefined)?.identifier?.[0]?.value).toBe('b');
    expect(entry?.fullUrl).toBe(`${server.url}/CarePlan/${entry?.resource?.id}`);
    expect((await server.search('CarePlan', { identifier: `${SYS}|a` })).length).toBe(1);
  });

  it('pages with _count and follows link next to the end', async () => {
    for (const v of ['1', '2', '3', '4', '5']) await fhir(server.url, '/CarePlan', { body: plan(v) });
    const seen: string[] = [];
    let next: string | undefined = `${server.url}/CarePlan?_count=2`;
    let pages = 0;
    while (next) {
      const res: FhirReply<Bundle> = await fhir<Bundle>(next, '');
      expect(res.body.total).toBe(5);
      seen.push(...(res.body.entry ?? []).map((e) => (e.resource as CarePlan).identifier?.[0]?.value ?? ''));
      next = res.body.link?.find((l) => l.relation === 'next')?.url;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['1', '2', '3', '4', '5']);
  });

  it('applies the default page size when _count is absent', async () => {
    for (const v of ['1', '2', '3', '4']) await fhir(server.url, '/CarePlan', { body: plan(v) });
    const res = await fhir<Bundle>(server.url, '/CarePlan');
    expect(res.body.entry).toHaveLength(3);
    expect(res.body.link?.find((l) => l.relation === 'next')?.url).toContain('_offset=3');
  });
});

describe('conditional create and update', () => {
  it('If-None-Exist creates once, then returns the existing resource (200)', async () => {
    const headers = { 'if-none-exist': `identifier=${SYS}|a` };
    const first = await fhir<CarePlan>(server.url, '/CarePlan', { body: plan('a'), headers });
    const second = await fhir<CarePlan>(server.url, '/CarePlan', { body: plan('a', 'completed'), headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('etag')).toBe('W/"1"');
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(server.readAll('CarePlan')).toHaveLength(1);
    expect(server.readAll<CarePlan>('CarePlan')[0]?.status).toBe('active');
  });

  it('PUT Type?identifier creates (201), then updates the same resource (200)', async () => {
    const url = `/CarePlan?identifier=${encodeURIComponent(`${SYS}|a`)}`;
    const first = await fhir<CarePlan>(server.url, url, { method: 'PUT', body: plan('a') });
    const second = await fhir<CarePlan>(server.url, url, { method: 'PUT', body: plan('a', 'completed') });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toContain(`/CarePlan/${first.body.id}/_history/1`);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('etag')).toBe('W/"2"');
    const stored = server.readAll<CarePlan>('CarePlan');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.status).toBe('completed');
  });

  it('follows the R4 id rules: client id kept on create, 400 when it names another resource', async () => {
    const url = `/CarePlan?identifier=${encodeURIComponent(`${SYS}|a`)}`;
    const first = await fhir<CarePlan>(server.url, url, {
      method: 'PUT',
      body: { ...plan('a'), id: 'cp-a' },
    });
    expect(first.status).toBe(201);
    expect(first.body.id).toBe('cp-a');
    const again = await fhir(server.url, url, { method: 'PUT', body: { ...plan('a'), id: 'cp-a' } });
    expect(again.status).toBe(200);
    const other = await fhir(server.url, url, { method: 'PUT', body: { ...plan('a'), id: 'cp-other' } });
    expect(other.status).toBe(400);
  });

  it('answers 412 when the search matches more than one resource', async () => {
    await fhir(server.url, '/CarePlan', { body: plan('dup') });
    await fhir(server.url, '/CarePlan', { body: plan('dup') });
    const url = `/CarePlan?identifier=${encodeURIComponent(`${SYS}|dup`)}`;
    expect((await fhir(server.url, url, { method: 'PUT', body: plan('dup') })).status).toBe(412);
  });
});

describe('If-Match', () => {
  it('updates only when the ETag matches the current version, else 412', async () => {
    const created = (
      await fhir<Patient>(server.url, '/Patient', { body: { resourceType: 'Patient', active: true } })
    ).body;
    const path = `/Patient/${created.id}`;
    const ok = await fhir<Patient>(server.url, path, {
      method: 'PUT',
      body: { ...created, active: false },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(ok.status).toBe(200);
    const stale = await fhir(server.url, path, {
      method: 'PUT',
      body: created,
      headers: { 'if-match': 'W/"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await server.read<Patient>('Patient', created.id!))?.active).toBe(false);
  });

  it('applies If-Match to conditional updates too', async () => {
    const url = `/CarePlan?identifier=${encodeURIComponent(`${SYS}|a`)}`;
    await fhir(server.url, url, { method: 'PUT', body: plan('a') });
    const stale = await fhir(server.url, url, {
      method: 'PUT',
      body: plan('a', 'revoked'),
      headers: { 'if-match': 'W/"7"' },
    });
    expect(stale.status).toBe(412);
    const fresh = await fhir(server.url, url, {
      method: 'PUT',
      body: plan('a', 'revoked'),
      headers: { 'if-match': 'W/"1"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('W/"2"');
    const absent = `/CarePlan?identifier=${encodeURIComponent(`${SYS}|none`)}`;
    expect(
      (
        await fhir(server.url, absent, {
          method: 'PUT',
          body: plan('none'),
          headers: { 'if-match': 'W/"1"' },
        })
      ).status,
    ).toBe(412);
  });
});

describe('more of what partners do', () => {
  it('creates once under concurrent conditional creates', async () => {
    const headers = { 'if-none-exist': `identifier=${SYS}|race` };
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        fhir<CarePlan>(server.url, '/CarePlan', { body: plan('race'), headers }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(server.readAll('CarePlan')).toHaveLength(1);
  });

  it('honours Prefer: return=minimal, and supports vread, history, JSON Patch and delete', async () => {
    const minimal = await fhir(server.url, '/CarePlan', {
      body: plan('a'),
      headers: { prefer: 'return=minimal' },
    });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toBeUndefined();
    const location = minimal.headers.get('location') ?? '';
    const id = location.split('/').at(-3) ?? '';
    const patched = await fhir<CarePlan>(server.url, `/CarePlan/${id}`, {
      method: 'PATCH',
      body: [{ op: 'replace', path: '/status', value: 'on-hold' }],
      headers: { 'content-type': 'application/json-patch+json' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('on-hold');
    expect((await fhir<CarePlan>(server.url, `/CarePlan/${id}/_history/1`)).body.status).toBe('active');
    const history = await fhir<Bundle>(server.url, `/CarePlan/${id}/_history`);
    expect(history.body.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    expect((await fhir(server.url, `/CarePlan/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fhir(server.url, `/CarePlan/${id}`)).status).toBe(404);
  });

  it('answers 413 to an oversized body', async () => {
    const small = await startPartnerServer({ name: 'small', maxBodyBytes: 1000 });
    try {
      const big = { ...plan('a'), description: 'x'.repeat(2000) };
      expect((await fhir(small.url, '/CarePlan', { body: big })).status).toBe(413);
      expect(small.readAll('CarePlan')).toHaveLength(0);
    } finally {
      await small.close();
    }
  });
});

describe('server plumbing', () => {
  it('serves a CapabilityStatement, logs requests and injects faults', async () => {
    const meta = await fhir<{ resourceType: string; fhirVersion: string }>(server.url, '/metadata');
    expect(meta.status).toBe(200);
    expect(meta.body.resourceType).toBe('CapabilityStatement');
    expect(meta.body.fhirVersion).toBe('4.0.1');

    server.injectFaults({ status: 503 }, { status: 429, retryAfterSeconds: 2 });
    expect((await fhir(server.url, '/Patient', { body: { resourceType: 'Patient' } })).status).toBe(503);
    const limited = await fhir(server.url, '/Patient', { body: { resourceType: 'Patient' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await fhir(server.url, '/Patient', { body: { resourceType: 'Patient' } })).status).toBe(201);
    expect(server.readAll('Patient')).toHaveLength(1);
    expect(server.requestLog().map((e) => e.status)).toEqual([200, 503, 429, 201]);

    const own = {
      resourceType: 'OperationOutcome' as const,
      issue: [{ severity: 'error' as const, code: 'invalid' as const }],
    };
    server.injectFaults({ status: 422, outcome: own });
    const rejected = await fhir<OperationOutcome>(server.url, '/Patient', {
      body: { resourceType: 'Patient' },
    });
    expect(rejected.status).toBe(422);
    expect(rejected.body).toEqual(own);

    server.injectFaults({ dropConnection: true });
    await expect(fetch(`${server.url}/Patient`)).rejects.toThrow();
  });
});
