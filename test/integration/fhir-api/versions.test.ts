// FHIR versions through the HTTP API against real PostgreSQL: one versionId for a create's Location, a
// read's meta.versionId and ETag, vread and instance history from the stored versions (newest first,
// request/response per entry), Prefer return= on a transaction, and the CapabilityStatement's interactions.
import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { Bundle, CapabilityStatement, OperationOutcome, Task } from 'fhir/r4.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceRequestIdOf } from '../../support/fixtures.js';
import type { TestNavbridge } from '../../support/navbridge.js';
import { BASE, errorCode, FHIR, referral, startPartnerApp } from './partner-app.js';

describe('FHIR versions: one versionId, vread, history, Prefer on every create', () => {
  let nb: TestNavbridge;
  let app: express.Express;
  const clock = new Date('2026-03-02T09:00:00Z');

  beforeAll(async () => {
    ({ nb, app } = await startPartnerApp(clock));
  });
  afterAll(async () => {
    await nb?.close();
  });

  const create = (body: object, prefer?: string, path = '/fhir/ServiceRequest') => {
    const r = request(app).post(path).set('Content-Type', FHIR);
    return (prefer ? r.set('Prefer', prefer) : r).send(JSON.stringify(body));
  };
  const vidOf = (location: string | undefined) => /\/_history\/([^/]+)$/.exec(location ?? '')?.[1];
  const taskOf = async (srId: string) =>
    ((await request(app).get(`/fhir/Task?focus=ServiceRequest/${srId}`)).body as Bundle).entry?.[0]
      ?.resource as Task;

  it('names in the Location the version a read answers in meta.versionId and ETag, through updates', async () => {
    const sr = referral();
    const first = await create(sr);
    expect(first.status).toBe(201);
    const id = serviceRequestIdOf(first.get('Location'));
    expect(vidOf(first.get('Location'))).toBe('1');
    const read1 = await request(app).get(`/fhir/ServiceRequest/${id}`);
    expect(read1.status).toBe(200);
    expect(read1.body.meta.versionId).toBe('1');
    expect(read1.get('ETag')).toBe('W/"1"');

    const changed = { ...sr, reasonCode: [{ text: 'Low mood, worse' }] };
    const second = await create(changed, 'return=representation');
    expect(vidOf(second.get('Location'))).toBe('2');
    expect(second.body.meta.versionId).toBe('2');
    expect(second.get('ETag')).toBe('W/"2"');
    const read2 = await request(app).get(`/fhir/ServiceRequest/${id}`);
    expect(read2.body.meta.versionId).toBe('2');
    expect(read2.get('ETag')).toBe('W/"2"');
    // The same request resent is the same version.
    expect(vidOf((await create(changed)).get('Location'))).toBe('2');
    expect((await request(app).get(`/fhir/ServiceRequest/${id}`)).body.meta.versionId).toBe('2');

    // The Task counts its own versions: one per record version that changed it.
    const task = await taskOf(id);
    expect(task.meta?.versionId).toBe('2');
    const taskRead = await request(app).get(`/fhir/Task/${task.id}`);
    expect(taskRead.get('ETag')).toBe('W/"2"');
  });

  it('answers vread and instance history from the stored versions, newest first', async () => {
    const sr = referral();
    const id = serviceRequestIdOf((await create(sr)).get('Location'));
    await create({ ...sr, reasonCode: [{ text: 'Low mood, worse' }] });

    const v1 = await request(app).get(`/fhir/ServiceRequest/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.meta.versionId).toBe('1');
    expect(v1.get('ETag')).toBe('W/"1"');
    const v2 = await request(app).get(`/fhir/ServiceRequest/${id}/_history/2`);
    expect(v2.status).toBe(200);
    expect(v2.body.meta.versionId).toBe('2');
    expect(JSON.stringify(v2.body.reasonCode)).toContain('worse');
    expect(JSON.stringify(v1.body.reasonCode ?? [])).not.toContain('worse');

    const history = await request(app).get(`/fhir/ServiceRequest/${id}/_history`);
    expect(history.status).toBe(200);
    const bundle = history.body as Bundle;
    expect(bundle.type).toBe('history');
    expect(bundle.total).toBe(2);
    expect(bundle.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    expect(bundle.entry?.map((e) => e.request)).toEqual([
      { method: 'PUT', url: `ServiceRequest/${id}` },
      { method: 'POST', url: 'ServiceRequest' },
    ]);
    expect(bundle.entry?.map((e) => [e.response?.status, e.response?.etag])).toEqual([
      ['200 OK', 'W/"2"'],
      ['201 Created', 'W/"1"'],
    ]);
    expect(bundle.entry?.[0]?.fullUrl).toBe(`${BASE}/ServiceRequest/${id}`);

    const task = await taskOf(id);
    const taskHistory = (await request(app).get(`/fhir/Task/${task.id}/_history`)).body as Bundle;
    expect(taskHistory.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
    const taskV1 = await request(app).get(`/fhir/Task/${task.id}/_history/1`);
    expect(taskV1.status).toBe(200);
    expect(taskV1.body.id).toBe(task.id);

    for (const path of [
      `/fhir/ServiceRequest/${id}/_history/3`,
      `/fhir/ServiceRequest/${id}/_history/x%20y`,
      `/fhir/Task/${task.id}/_history/9`,
      `/fhir/ServiceRequest/${randomUUID()}/_history`,
      `/fhir/Task/${randomUUID()}/_history/1`,
    ]) {
      const res = await request(app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(errorCode(res.body)).toBe('REC_NOT_FOUND');
    }
    // vread and history are in the audit trail, found or not (no patient data: ids and the outcome).
    const audited = async (target: string, interaction: string, outcome: string) =>
      Number(
        (
          await nb.t.sql.query(
            `SELECT count(*) AS n FROM audit_log WHERE action = 'read' AND target_id = $1
                AND detail->>'interaction' = $2 AND outcome = $3`,
            [target, interaction, outcome],
          )
        ).rows[0].n,
      );
    expect(await audited(id, 'history', 'success')).toBe(1);
    expect(await audited(id, 'vread', 'success')).toBe(2);
    expect(await audited(id, 'vread', 'failure')).toBe(2);
    // Other methods on history stay 405.
    const del = await request(app).delete(`/fhir/ServiceRequest/${id}/_history/1`);
    expect(del.status).toBe(405);
    expect(del.get('Allow')).toBe('GET, HEAD');
  });

  it('names after a retraction the version the caller reads; the retracted Task is the next version', async () => {
    const sr = referral();
    const id = serviceRequestIdOf((await create(sr)).get('Location'));
    const task = await taskOf(id);
    expect(task.meta?.versionId).toBe('1');
    const retracted = await create({ ...sr, status: 'entered-in-error' });
    expect(retracted.status).toBe(201);
    // The retraction sends this partner the Task only: its ServiceRequest is still the referral's version 1.
    expect(vidOf(retracted.get('Location'))).toBe('1');
    const read = await request(app).get(`/fhir/Task/${task.id}`);
    expect(read.body.status).toBe('entered-in-error');
    expect(read.get('ETag')).toBe('W/"2"');
    const history = (await request(app).get(`/fhir/Task/${task.id}/_history`)).body as Bundle;
    // Version 1 was superseded by the retraction before it was sent: never the partner's, so not in
    // its history, and its number is not reused.
    expect(history.entry?.map((e) => [e.resource?.meta?.versionId, (e.resource as Task).status])).toEqual([
      ['2', 'entered-in-error'],
    ]);
    expect((await request(app).get(`/fhir/Task/${task.id}/_history/1`)).status).toBe(404);
    expect((await request(app).get(`/fhir/Task/${task.id}/_history/2`)).body.status).toBe('entered-in-error');
  });

  it('honours Prefer: return= on a transaction, with each entry’s Location and ETag', async () => {
    const tx = () => {
      const sr = referral();
      return {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: sr, request: { method: 'POST', url: 'ServiceRequest' } }],
      };
    };
    const entryOf = (res: request.Response) => (res.body as Bundle).entry?.[0];

    const minimal = await create(tx(), 'return=minimal', '/fhir');
    expect(minimal.status).toBe(201);
    expect(minimal.body.type).toBe('transaction-response');
    const m = entryOf(minimal);
    expect(m?.resource).toBeUndefined();
    expect(m?.response?.outcome).toBeUndefined();
    expect(m?.response?.location).toMatch(/\/ServiceRequest\/[0-9a-f-]{36}\/_history\/1$/);
    expect(m?.response?.etag).toBe('W/"1"');
    expect(minimal.get('Location')).toBe(m?.response?.location);

    const rep = await create(tx(), 'return=representation', '/fhir');
    const r = entryOf(rep);
    expect(r?.resource?.resourceType).toBe('ServiceRequest');
    expect(r?.resource?.id).toBe(serviceRequestIdOf(r?.response?.location ?? ''));
    expect(r?.resource?.meta?.versionId).toBe('1');
    const read = await request(app).get(`/fhir/ServiceRequest/${r?.resource?.id}`);
    expect(read.body.meta.versionId).toBe(r?.resource?.meta?.versionId);

    const oo = await create(tx(), 'return=OperationOutcome', '/fhir');
    const o = entryOf(oo);
    expect(o?.resource).toBeUndefined();
    expect(o?.response?.outcome?.resourceType).toBe('OperationOutcome');
    expect((o?.response?.outcome as OperationOutcome | undefined)?.issue[0]?.severity).toBe('information');

    const bad = await create(tx(), 'return=everything', '/fhir');
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['Prefer']);
  });

  it('lists vread and history-instance for ServiceRequest and Task in the CapabilityStatement', async () => {
    const cs = (await request(app).get('/fhir/metadata')).body as CapabilityStatement;
    for (const type of ['ServiceRequest', 'Task']) {
      const res = cs.rest?.[0]?.resource?.find((r) => r.type === type);
      const codes = res?.interaction?.map((i) => i.code);
      expect(codes).toEqual(expect.arrayContaining(['read', 'vread', 'history-instance']));
      expect(res?.versioning).toBe('versioned');
      expect(res?.readHistory).toBe(true);
    }
  });
});
