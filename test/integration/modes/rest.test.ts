// rest mode end to end (service → store → queue → worker → real sandbox partner): one conditional
// request per resource — a first write as a create with If-None-Exist, every later one an update with
// If-Match on the ETag last returned; 412 → re-read and retry once; 409 → dead.
import type { CarePlan } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFixture } from '../../support/fixtures.js';
import type { RequestLogEntry } from '../../support/sandbox/partner-server.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { exchangeFor, type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const ID = 'trust-rest';

describe('rest delivery mode', () => {
  let trust: PartnerServer;
  let h: Harness;
  const plan = recordFixture('support-plan');

  beforeAll(async () => {
    trust = await startPartnerServer({ name: 'trust' });
    h = await startHarness([partner({ id: ID, baseUrl: trust.url, mode: 'rest' })]);
  });
  afterAll(async () => {
    await h?.close();
    await trust?.close();
  });

  const carePlanPuts = (log: RequestLogEntry[]) =>
    log.filter((e) => e.method === 'PUT' && e.path.startsWith('/CarePlan?identifier='));
  const carePlanCreates = (log: RequestLogEntry[]) =>
    log.filter((e) => e.method === 'POST' && e.path === '/CarePlan');

  async function deliver(recordType: 'referral' | 'support-plan' | 'event', record: unknown) {
    const id = exchangeFor(await h.service.submit(recordType, record), ID);
    return h.waitStatus(id, 'delivered');
  }

  it('sends each resource as its own request: created with If-None-Exist, then updated with If-Match', async () => {
    await deliver('referral', referralFromTrust());
    const afterReferral = trust.requestLog();
    // No transaction: every write is one resource, by business identifier.
    expect(afterReferral.filter((e) => e.path === '/' || e.path.startsWith('/?'))).toEqual([]);
    const taskCreates = afterReferral.filter((e) => e.method === 'POST' && e.path === '/Task');
    expect(taskCreates).toHaveLength(1);
    expect(taskCreates[0]?.headers['if-none-exist']).toMatch(/^identifier=/);
    expect(taskCreates[0]?.headers['if-match']).toBeUndefined();

    await deliver('support-plan', { ...plan, version: 1 });
    const [first] = carePlanCreates(trust.requestLog());
    expect(first?.status).toBe(201);
    expect(first?.headers['if-none-exist']).toMatch(/^identifier=/);
    expect(carePlanPuts(trust.requestLog())).toHaveLength(0);
    const [stored] = trust.readAll<CarePlan>('CarePlan');
    const v1 = stored?.meta?.versionId;
    expect(v1).toBeDefined();

    await deliver('support-plan', { ...plan, version: 2 });
    const puts = carePlanPuts(trust.requestLog());
    expect(puts).toHaveLength(1);
    expect(puts[0]?.headers['if-match']).toBe(`W/"${v1}"`);
    expect(puts[0]?.status).toBe(200);
    expect(trust.readAll('CarePlan')).toHaveLength(1);
    expect(await trust.history('CarePlan', stored!.id!)).toHaveLength(2);
    // The reference-only trust gets no Patient; its resources point at the person by NHS number.
    expect(trust.readAll('Patient')).toHaveLength(0);
  });

  it('on 412 (changed on the partner in between) re-reads the version and retries once: delivered', async () => {
    const [current] = trust.readAll<CarePlan>('CarePlan');
    const ours = current!.meta!.versionId;
    // Another writer at the partner changes the plan directly on its server.
    const res = await fetch(`${trust.url}/CarePlan/${current!.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ ...current, description: 'edited at the partner' }),
    });
    expect(res.status).toBe(200);
    const theirs = ((await res.json()) as CarePlan).meta?.versionId;
    expect(theirs).not.toBe(ours);
    const logFrom = trust.requestLog().length;

    const x = await deliver('support-plan', { ...plan, version: 3 });
    const since = trust.requestLog().slice(logFrom);
    const cp = since.filter((e) => e.path.startsWith('/CarePlan'));
    expect(cp.map((e) => [e.method, e.status, e.headers['if-match'] ?? null])).toEqual([
      ['PUT', 412, `W/"${ours}"`],
      ['GET', 200, null],
      ['PUT', 200, `W/"${theirs}"`],
    ]);
    expect(x.attemptCount).toBe(1);
    const [after] = trust.readAll<CarePlan>('CarePlan');
    expect(after?.description).not.toBe('edited at the partner');
    expect(trust.readAll('CarePlan')).toHaveLength(1);
  });

  it('a 409 from a REST partner is a conflict: dead at once, even with a REC_CONFLICT code', async () => {
    trust.injectFaults({
      status: 409,
      outcome: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'conflict',
            details: {
              coding: [{ system: 'https://fhir.nhs.uk/Codesystem/http-error-codes', code: 'REC_CONFLICT' }],
            },
          },
        ],
      },
    });
    const id = exchangeFor(await h.service.submit('event', recordFixture('event-contacted')), ID);
    const dead = await h.waitStatus(id, 'dead');
    expect(dead.attemptCount).toBe(1);
    expect(dead.statusReason).toBe('http-409');
    expect(dead.lastError?.issue?.[0]?.code).toBe('conflict');
    expect((await h.attempts(id)).map((a) => a.outcome)).toEqual(['dead']);
  });
});
