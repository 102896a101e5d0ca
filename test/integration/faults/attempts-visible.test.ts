// Every attempt is visible, on the navigator API (`GET /api/v1/exchanges/{id}`) and the admin API
// (`GET /admin/exchanges/{id}`): the X-Request-Id it was sent with and the partner's answer — HTTP
// status, error class and its OperationOutcome's issue codes — but never the partner's text, which
// may quote the patient. A real partner answers 503, then 422 with an OperationOutcome whose
// diagnostics name a person.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { exchangeFor, partner, referralFromTrust } from '../modes/harness.js';

const ID = 'trust-seen';
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SECRET_TEXT = 'Jane Example, NHS 943 476 5919, said she would harm herself';

describe('attempts are visible with their request id and the partner’s answer', () => {
  let trust: PartnerServer;
  let nb: TestNavbridge;

  beforeAll(async () => {
    trust = await startPartnerServer({ name: 'trust' });
    nb = await buildTestNavbridge({
      partners: [partner({ id: ID, baseUrl: trust.url, mode: 'transaction' })],
      delivery: 'workers',
      worker: { leaseMs: 5_000, sweepIntervalMs: 300, requeueAfterMs: 1_000 },
    });
  });
  afterAll(async () => {
    await nb?.close();
    await trust?.close();
  });

  it('navigator and admin views list each attempt: request id, status, error class, issue codes only', async () => {
    trust.injectFaults(
      { status: 503 },
      {
        status: 422,
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'processing',
              details: {
                coding: [
                  {
                    system: 'https://fhir.nhs.uk/Codesystem/http-error-codes',
                    code: 'REC_UNPROCESSABLE_ENTITY',
                  },
                ],
                text: SECRET_TEXT,
              },
              diagnostics: SECRET_TEXT,
            },
          ],
        },
      },
    );
    const result = await nb.navbridge.submitRecord(undefined, 'referral', referralFromTrust());
    const id = exchangeFor(result, ID);
    await waitFor(
      async () => {
        const { rows } = await nb.t.sql.query('SELECT status FROM exchanges WHERE id = $1', [id]);
        return rows[0]?.status === 'dead';
      },
      { what: 'the exchange dead after 503 then 422', timeoutMs: 30_000 },
    );
    const sent = trust.requestLog().filter((e) => e.method === 'POST');
    const requestId = sent[0]?.headers['x-request-id'];
    expect(requestId).toBeDefined();

    for (const path of [`/api/v1/exchanges/${id}`, `/admin/exchanges/${id}`]) {
      const res = await request(nb.app).get(path).set(ADMIN);
      expect(res.status, path).toBe(200);
      // The attempts never carry the partner's text (the admin view, audited, also shows the payload
      // and the last error as the partner sent it; the navigator view shows neither).
      expect(JSON.stringify(res.body.attempts)).not.toContain('Jane Example');
      if (path.startsWith('/api/')) expect(JSON.stringify(res.body)).not.toContain('Jane Example');
      expect(res.body.attempts).toEqual([
        expect.objectContaining({
          attempt: 1,
          requestId,
          outcome: 'retry',
          httpStatus: 503,
          errorClass: 'http-503',
          issues: [{ severity: 'error', code: 'processing', details: ['SERVICE_UNAVAILABLE'] }],
        }),
        expect.objectContaining({
          attempt: 2,
          requestId,
          outcome: 'dead',
          httpStatus: 422,
          errorClass: 'http-422',
          issues: [{ severity: 'error', code: 'processing', details: ['REC_UNPROCESSABLE_ENTITY'] }],
        }),
      ]);
    }
  }, 60_000);
});
