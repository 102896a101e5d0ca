// Redis down under the end-to-end rig (built `navbridge serve` and `navbridge worker` processes, two
// sandbox partners, a private redis-server killed and started again): the trust's POST
// /fhir/ServiceRequest and BaRS $process-message are stored and answered as usual (201, 200 with the
// acknowledgement) and the trust can read its Task, without waiting for Redis; when Redis is back,
// the worker's sweeper queues what was stored and every outbound exchange is delivered. Each request
// has a client deadline far beyond the 2 s promised: one that waited for the outage fails the test.
import type { Bundle, MessageHeader } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barsMessage, json, loopClient, person, trustReferral } from '../../e2e/loop.js';
import { type E2E, startE2E } from '../../support/e2e.js';
import { serviceRequestIdOf } from '../../support/fixtures.js';
import { type RedisServer, startRedisServer } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';

describe('FHIR and BaRS intake while Redis is down', () => {
  let redis: RedisServer;
  let e: E2E;
  const { taskFor } = loopClient(() => e);

  beforeAll(async () => {
    redis = await startRedisServer();
    e = await startE2E({ redisUrl: redis.url });
  }, 120_000);
  afterAll(async () => {
    await redis?.start().catch(() => {});
    await e?.close();
    await redis?.kill();
  }, 60_000);

  /** A request that must be answered well before the outage ends (it never ends during the test). */
  async function answered(p: Promise<Response>): Promise<{ res: Response; ms: number }> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    });
    try {
      return { res: await Promise.race([p, late]), ms: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  it('stores and answers as usual, and delivers once Redis is back', async () => {
    await redis.kill();
    const sr = await answered(e.asTrust('POST', '/fhir/ServiceRequest', trustReferral(person('RD1'))));
    await json(sr.res, 'ServiceRequest while Redis is down');
    expect(sr.res.status, e.output().slice(-3_000)).toBe(201);
    const srId = serviceRequestIdOf(sr.res.headers.get('location'));
    expect((await taskFor(srId)).status).toBe('accepted');

    const message = barsMessage(trustReferral(person('RD2')));
    const msg = await answered(e.asTrust('POST', '/fhir/$process-message', message));
    const answer = await json<Bundle>(msg.res, 'BaRS message while Redis is down');
    expect(msg.res.status).toBe(200);
    const header = answer.entry?.[0]?.resource as MessageHeader;
    expect(header.response).toMatchObject({ code: 'ok' });
    console.info(
      `Redis down: POST /fhir/ServiceRequest ${sr.ms} ms (201), $process-message ${msg.ms} ms (200)`,
    );

    const outbound = async () =>
      (
        await e.t.sql.query<{ status: string }>("SELECT status FROM exchanges WHERE direction = 'outbound'")
      ).rows.map((r) => r.status);
    const UNDELIVERED = ['pending', 'in-flight', 'failed'];
    const waiting = await outbound();
    expect(waiting.filter((s) => s === 'pending').length).toBeGreaterThan(0);
    expect(waiting.filter((s) => s === 'delivered')).toEqual([]);

    await redis.start();
    await waitFor(async () => !(await outbound()).some((s) => UNDELIVERED.includes(s)), {
      what: 'every exchange stored during the outage delivered',
      timeoutMs: 60_000,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${e.output().slice(-4_000)}`);
    });
    expect((await outbound()).filter((s) => s === 'delivered').length).toBe(
      waiting.filter((s) => s === 'pending').length,
    );
  }, 120_000);
});
