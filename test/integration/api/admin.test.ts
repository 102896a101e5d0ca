import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExchange, type QueueJob } from '../../../src/store/exchanges.js';
import type { TestDb } from '../../support/db.js';
import {
  deadExchange as insertDeadExchange,
  insertPersons,
  outboundExchange,
} from '../../support/exchanges.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';

const TOKEN = 'admin-token-for-tests-0123456789';

describe('admin API', () => {
  let nb: TestNavbridge;
  let t: TestDb;
  let enqueued: QueueJob[];
  let app: Express;
  let personId: string;

  beforeAll(async () => {
    nb = await buildTestNavbridge({ adminToken: TOKEN });
    ({ t, app, jobs: enqueued } = nb);
    personId = (await insertPersons(t))[0]!;
  });
  afterAll(async () => nb?.close());

  const deadExchange = (partnerId = 'trust-a') =>
    insertDeadExchange(
      t.db,
      outboundExchange(personId, { partnerId, payload: { resourceType: 'Bundle', type: 'transaction' } }),
    );

  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('GET /health is liveness only; GET /ready reports PostgreSQL, Redis, migrations and circuits', async () => {
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      postgres: 'ok',
      redis: 'ok',
      migrations: { status: 'ok', pending: [] },
      partners: [],
    });
  });

  it('refuses admin calls without or with a wrong credential (401, OperationOutcome)', async () => {
    const none = await request(app).get('/admin/dead-letters');
    expect(none.status).toBe(401);
    expect(none.body.resourceType).toBe('OperationOutcome');
    const wrong = await request(app).get('/admin/dead-letters').set('Authorization', 'Bearer nope');
    expect(wrong.status).toBe(401);
  });

  it('lists dead letters by filter, without payloads', async () => {
    const id = await deadExchange();
    const res = await request(app).get('/admin/dead-letters?partner=trust-a&reason=http-422').set(auth);
    expect(res.status).toBe(200);
    const row = res.body.deadLetters.find((d: { id: string }) => d.id === id);
    expect(row).toMatchObject({ partnerId: 'trust-a', reason: 'http-422', attempts: 1 });
    expect(row.payload).toBeUndefined();
    const other = await request(app).get('/admin/dead-letters?partner=gp-b').set(auth);
    expect(other.body.deadLetters).toEqual([]);
  });

  it('rejects bad filters with every problem and its path', async () => {
    const res = await request(app).get('/admin/dead-letters?limit=0&from=yesterday&colour=red').set(auth);
    expect(res.status).toBe(400);
    const exprs = res.body.issue.map((i: { expression: string[] }) => i.expression[0]).sort();
    // An unknown parameter is named at its own path.
    expect(exprs).toEqual(['query.colour', 'query.from', 'query.limit']);
  });

  it('shows a payload only to an admin, and audits the view', async () => {
    const id = await deadExchange('trust-v');
    const res = await request(app).get(`/admin/exchanges/${id}`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.payload.resourceType).toBe('Bundle');
    expect(res.body.queueToken).toBeUndefined();
    // Each attempt with the request id it was sent with and the partner's answer.
    expect(res.body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'dead', httpStatus: 422, errorClass: 'http-422' }),
    ]);
    expect(res.body.attempts[0].requestId).toBe(res.body.requestId);
    const { rows } = await t.sql.query(`SELECT action FROM audit_log WHERE target_id = $1 ORDER BY seq`, [
      id,
    ]);
    // The delivery attempt (begun, failed), then the view.
    expect(rows.map((r) => r.action)).toEqual(['deliver-start', 'deliver', 'view-payload']);
    expect((await request(app).get(`/admin/exchanges/${randomUUID()}`).set(auth)).status).toBe(404);
  });

  it('replays one dead letter (queued again, audited) and refuses to replay what is not dead', async () => {
    const id = await deadExchange('trust-r');
    enqueued.length = 0;
    const res = await request(app).post(`/admin/dead-letters/${id}/replay`).set(auth).send({});
    expect(res.status).toBe(200);
    expect(enqueued.map((j) => j.exchangeId)).toEqual([id]);
    expect((await getExchange(t.db, id))?.status).toBe('pending');
    // What is not dead cannot be replayed: a conflict naming its state (it was a 500 before).
    const again = await request(app).post(`/admin/dead-letters/${id}/replay`).set(auth).send({});
    expect(again.status).toBe(409);
    expect(again.body.issue[0].diagnostics).toMatch(/is pending, not dead/);
    const missing = randomUUID();
    const unknown = await request(app).post(`/admin/dead-letters/${missing}/replay`).set(auth).send({});
    expect(unknown.status).toBe(404);
    // Each replay is in the trail: the one done, the refused one and the one that found nothing.
    const { rows } = await t.sql.query(
      `SELECT target_id, outcome, detail->>'answer' AS answer FROM audit_log WHERE action = 'replay'
        AND target_id = ANY($1) ORDER BY seq`,
      [[id, missing]],
    );
    expect(rows).toEqual([
      { target_id: id, outcome: 'success', answer: null },
      { target_id: id, outcome: 'failure', answer: 'not-dead' },
      { target_id: missing, outcome: 'failure', answer: 'not-found' },
    ]);
  });

  it('discards with a reason', async () => {
    const id = await deadExchange('trust-d');
    const res = await request(app)
      .post(`/admin/dead-letters/${id}/discard`)
      .set(auth)
      .send({ reason: 'wrong partner' });
    expect(res.status).toBe(200);
    expect((await getExchange(t.db, id))?.status).toBe('discarded');
    const bad = await request(app).post(`/admin/dead-letters/${id}/discard`).set(auth).send({});
    expect(bad.status).toBe(400);
    // Discarded already (not dead) → 409 naming its state; unknown → 404; neither is a 500.
    const again = await request(app)
      .post(`/admin/dead-letters/${id}/discard`)
      .set(auth)
      .send({ reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.issue[0].diagnostics).toMatch(/is discarded, not dead/);
    const unknown = await request(app)
      .post(`/admin/dead-letters/${randomUUID()}/discard`)
      .set(auth)
      .send({ reason: 'no such' });
    expect(unknown.status).toBe(404);
    const { rows } = await t.sql.query(
      `SELECT outcome, detail->>'answer' AS answer FROM audit_log WHERE action = 'discard' AND target_id = $1 ORDER BY seq`,
      [id],
    );
    expect(rows).toEqual([
      { outcome: 'success', answer: null },
      { outcome: 'failure', answer: 'not-dead' },
    ]);
  });
});
