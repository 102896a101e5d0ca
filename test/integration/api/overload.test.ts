// Overload is answered, not suffered: past `http.intake.maxInFlight` intake requests in flight, an API
// process answers 503 SERVICE_UNAVAILABLE with Retry-After at once (an OperationOutcome on /fhir and
// /api/v1), and a PostgreSQL pool whose checkout times out is a 503 too — never a 500, never a wait.
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, inTransaction, openDb } from '../../../src/store/db.js';
import {
  createTestDb,
  TEST_APP_ROLE,
  TEST_DATABASE_URL,
  type TestDb,
  testKeyProvider,
} from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';
import { waitFor } from '../../support/wait.js';

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

async function listen(nb: TestNavbridge): Promise<{ server: Server; base: string }> {
  const server = nb.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A POST whose body is sent only when `finish` is called: it stays in flight until then. */
function heldPost(base: string, path: string) {
  const body = JSON.stringify({ recordType: 'referral', record: recordFixture('referral') });
  const req = httpRequest(`${base}${path}`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      resolve(res);
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  req.write(body.slice(0, 10));
  return {
    answered,
    finish: () => req.end(body.slice(10)),
  };
}

describe('intake in flight is bounded', () => {
  let nb: TestNavbridge;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    nb = await buildTestNavbridge({
      config: { http: { rateLimits: { enabled: false }, intake: { maxInFlight: 1 } } },
    });
    ({ server, base } = await listen(nb));
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await nb?.close();
  });

  it('answers 503 with Retry-After and an OperationOutcome past the bound, and recovers', async () => {
    const held = heldPost(base, '/api/v1/records');
    // The held request occupies the only place once the server has it: then every other POST is refused.
    const refused = await waitFor(
      async () => {
        const res = await fetch(`${base}/fhir/$process-message`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json' },
          body: '{}',
        });
        if (res.status === 503) return res;
        await res.arrayBuffer();
        return undefined;
      },
      { what: 'a 503 while one intake request is in flight', timeoutMs: 30_000 },
    );
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const outcome = (await refused.json()) as { resourceType: string };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(outcome)).toContain('SERVICE_UNAVAILABLE');

    const records = await fetch(`${base}/api/v1/records`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ recordType: 'referral', record: recordFixture('referral') }),
    });
    expect(records.status).toBe(503);
    expect(records.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await records.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');

    // Reads are not intake: never refused by the bound.
    expect((await fetch(`${base}/health`)).status).toBe(200);

    held.finish();
    expect((await held.answered).statusCode).toBe(202);
    // Its place is free again: the next submit is accepted.
    const again = recordFixture('referral');
    again.id = 'REF-OVERLOAD-2';
    const next = await fetch(`${base}/api/v1/records`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ recordType: 'referral', record: again }),
    });
    expect(next.status).toBe(202);
  });
});

describe('a PostgreSQL pool checkout that times out', () => {
  let t: TestDb;
  let base: TestDb;
  let nb: TestNavbridge;
  beforeAll(async () => {
    base = await createTestDb();
    // One connection, a short checkout timeout: a held transaction starves every other request.
    const tiny = openDb({
      databaseUrl: TEST_DATABASE_URL,
      schema: base.schema,
      role: TEST_APP_ROLE,
      keys: testKeyProvider(),
      max: 1,
      checkoutTimeoutMs: 200,
    });
    t = { ...base, db: tiny };
    nb = await buildTestNavbridge({ db: t });
  });
  afterAll(async () => {
    await nb?.close();
    if (t) await closeDb(t.db);
    await base?.close();
  });

  it('is 503 SERVICE_UNAVAILABLE with Retry-After, not 500', async () => {
    let release = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const holding = inTransaction(t.db, () => hold);
    const { server, base } = await listen(nb);
    try {
      const res = await fetch(`${base}/api/v1/records`, {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ recordType: 'referral', record: recordFixture('referral') }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(JSON.stringify(await res.json())).toContain('SERVICE_UNAVAILABLE');
    } finally {
      release();
      await holding;
      await new Promise((r) => server.close(r));
    }
  });
});
