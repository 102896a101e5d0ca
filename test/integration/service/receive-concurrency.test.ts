// Receiving a referral is one PostgreSQL transaction: identical resends arriving together get the
// answer a sequential resend gets (no false "different content" 409), a request id used twice at
// once is refused once, and different versions arriving together are all kept, ordered by the
// database. Judged in the store: versions, referral rows, inbound exchanges, audit rows.
import { randomUUID } from 'node:crypto';
import type { ServiceRequest } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNavbridgeError } from '../../../src/errors/index.js';
import type { Caller } from '../../../src/service/types.js';
import { unseal } from '../../support/db.js';
import { gpPartner } from '../../support/fixtures.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';

const GP: Caller = { kind: 'partner', partnerId: 'gp-a' };

/** A GP referral for Leeds North with its Patient contained; `n` varies its identity. */
function referral(identifier: string, reason = 'Low mood'): Record<string, unknown> {
  return {
    resourceType: 'ServiceRequest',
    contained: [
      {
        resourceType: 'Patient',
        id: 'p',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
        name: [{ family: 'Evans', given: ['Rhian'] }],
        birthDate: '1990-07-01',
        address: [{ postalCode: 'LS6 1AA' }],
      },
    ],
    identifier: [{ system: 'https://gp.example.org/Id/referral', value: identifier }],
    status: 'active',
    intent: 'order',
    authoredOn: '2026-03-01T09:30:00+00:00',
    subject: { reference: '#p' },
    reasonCode: [{ text: reason }],
    extension: [
      { url: 'https://fhir.navbridge.org.uk/StructureDefinition/consent-to-refer', valueBoolean: true },
    ],
  } satisfies Omit<ServiceRequest, 'contained'> & { contained: Record<string, unknown>[] };
}

describe('receiving a referral is one transaction', () => {
  let nb: TestNavbridge;
  beforeAll(async () => {
    nb = await buildTestNavbridge({
      clock: () => new Date('2026-03-02T09:00:00Z'),
      partners: [
        gpPartner({
          inbound: { clientId: 'gp-a-client', publicKeysEnv: 'UNUSED_JWKS', defaultSite: 'leeds-north' },
        }),
      ],
    });
  });
  afterAll(async () => nb?.close());

  const receive = (body: unknown, requestId?: string) =>
    nb.navbridge.receiveReferral(GP, { kind: 'service-request', body, ...(requestId ? { requestId } : {}) });
  /** The answer as the HTTP API gives it: 201 with the outcome, or the error's status and code. */
  interface Answer {
    status: number;
    outcome?: string;
    version?: number;
    referral?: string;
    code?: string;
  }
  const answer = (p: Promise<Awaited<ReturnType<typeof receive>>>): Promise<Answer> =>
    p.then(
      (o) => ({
        status: 201,
        outcome: o.result?.outcome,
        version: o.result?.version,
        referral: o.referralId,
      }),
      (err: unknown) => {
        if (!isNavbridgeError(err)) throw err;
        return { status: err.status, code: err.code };
      },
    );
  const count = async (sql: string, params: unknown[]) =>
    Number((await nb.t.sql.query(sql, params)).rows[0].n);

  it('four identical resends at once: one new version, three duplicates, all 201 as a sequential resend', async () => {
    const body = referral(`R-${randomUUID()}`);
    const answers = await Promise.all([1, 2, 3, 4].map(() => answer(receive(body))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(answers.map((a) => a.outcome).sort()).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate']);
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set([1]));
    const referralId = answers[0]!.referral;
    const sequential = await answer(receive(body));
    expect(sequential).toMatchObject({ status: 201, outcome: 'duplicate', version: 1 });
    expect(await count('SELECT count(*) AS n FROM records WHERE source_id = $1', [referralId])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM referrals WHERE referral_id = $1', [referralId])).toBe(1);
    // Every request is stored as it was received, each with its audit row, in its own transaction.
    expect(
      await count("SELECT count(*) AS n FROM exchanges WHERE direction = 'inbound' AND referral_id = $1", [
        referralId,
      ]),
    ).toBe(5);
    expect(
      await count(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'inbound-received' AND detail->>'referralId' = $1",
        [referralId],
      ),
    ).toBe(5);
  });

  it('one request id sent twice at once: one 201, the other 425 REC_TOO_EARLY (first still in hand) or 409 REC_CONFLICT (first done), and the referral stored once', async () => {
    const body = referral(`R-${randomUUID()}`);
    const requestId = randomUUID();
    const answers = await Promise.all([answer(receive(body, requestId)), answer(receive(body, requestId))]);
    const [first, second] = [...answers].sort((a, b) => a.status - b.status);
    expect(first?.status).toBe(201);
    // Which one the repeat sees depends on whether it arrives while the first holds the record's lock
    // (test/integration/fhir-api/bars-receiver.test.ts holds it to see 425 every time).
    expect([
      { status: 409, code: 'REC_CONFLICT' },
      { status: 425, code: 'REC_TOO_EARLY' },
    ]).toContainEqual({ status: second?.status, code: second?.code });
    expect(await count('SELECT count(*) AS n FROM inbound_requests WHERE request_id = $1', [requestId])).toBe(
      1,
    );
    // Resent later under the same id: the same refusal as a sequential repeat.
    expect(await answer(receive(body, requestId))).toMatchObject({ status: 409, code: 'REC_CONFLICT' });
  });

  it('three different versions at once: all kept as versions 1, 2 and 3, none lost, no 409', async () => {
    const id = `R-${randomUUID()}`;
    const bodies = ['Low mood', 'Housing', 'Debt'].map((reason) => referral(id, reason));
    const answers = await Promise.all(bodies.map((b) => answer(receive(b))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers.map((a) => a.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(answers.map((a) => a.version).sort()).toEqual([1, 2, 3]);
    const referralId = answers[0]!.referral;
    const { rows } = await nb.t.sql.query(
      'SELECT version, payload FROM records WHERE source_id = $1 ORDER BY version',
      [referralId],
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    // Each body is one of the versions: nothing was lost or merged.
    const reasons = (await Promise.all(rows.map((r) => unseal(r.payload, 'records.payload'))))
      .map((p) => JSON.stringify(p))
      .join('|');
    for (const reason of ['Low mood', 'Housing', 'Debt']) expect(reasons).toContain(reason);
  });

  it('a refused request commits nothing, so the same request id can be used again once corrected', async () => {
    const requestId = randomUUID();
    const broken = { ...referral(`R-${randomUUID()}`), status: 'not-a-status' };
    const first = await answer(receive(broken, requestId));
    expect(first).toMatchObject({ status: 422, code: 'REC_UNPROCESSABLE_ENTITY' });
    expect(await count('SELECT count(*) AS n FROM inbound_requests WHERE request_id = $1', [requestId])).toBe(
      0,
    );
    const corrected = await answer(receive(referral(`R-${randomUUID()}`), requestId));
    expect(corrected).toMatchObject({ status: 201, outcome: 'accepted' });
  });
});
