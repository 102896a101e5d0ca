// The inbound FHIR API against real PostgreSQL, with a set of BaRS and Gravity SDOH examples: each
// gets exactly the answer the intake contract gives it. Run by intake.test.ts with navbridge's fixtures
// and by test/conformance/real-examples.test.ts with the real examples.
import { randomUUID } from 'node:crypto';
import type { Bundle, MessageHeader, OperationOutcome, Patient, ServiceRequest, Task } from 'fhir/r4.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { unseal } from '../../support/db.js';
import type { FhirExamples } from '../../support/fhir-examples.js';
import { serviceRequestIdOf } from '../../support/fixtures.js';
import { FHIR, fhirApiRig } from './rig.js';

/** The Patient sent beside a Gravity ServiceRequest (which names it only by logical id). */
const gravityPatient = (id: string): Patient => ({
  resourceType: 'Patient',
  id,
  identifier: [
    { system: 'http://hospital.example.org', value: '1032702' },
    { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' },
  ],
  name: [{ family: 'Abbas', given: ['Colin', 'V.'] }],
  gender: 'male',
  birthDate: '1987-02-20',
  telecom: [{ system: 'phone', value: '0113 496 0000' }],
});

function transaction(sr: ServiceRequest, patient: Patient): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'http://trust.example.org/fhir/ServiceRequest/x',
        resource: sr,
        request: { method: 'POST', url: 'ServiceRequest' },
      },
      {
        fullUrl: `http://trust.example.org/fhir/Patient/${patient.id}`,
        resource: patient,
        request: { method: 'PUT', url: `Patient/${patient.id}` },
      },
    ],
  };
}

const codes = (body: OperationOutcome) => body.issue.map((i) => i.details?.coding?.[0]?.code);

export function inboundFhirApiSuite(ex: FhirExamples): void {
  const read = (example: () => object) => JSON.stringify(example());
  const BARS_REQUEST = ex.bars.request;
  const BARS_REQUEST_2 = ex.bars.olderSystemsRequest;
  const GRAVITY = ex.gravity;
  const patient = gravityPatient(ex.facts.gravityPatientId);
  const gravityTransaction = (sr: ServiceRequest) => transaction(sr, patient);

  describe(`inbound FHIR API (${ex.source})`, () => {
    const rig = fhirApiRig();
    const { as, post, count } = rig;
    const app = () => rig.app;

    it('accepts the BaRS servicerequest-request with a warning for the NHS number, and answers a BaRS response', async () => {
      as('yas');
      const res = await post('/$process-message', read(BARS_REQUEST), {
        'X-Request-Id': '60f2bd38-1c5d-4b8e-9c4a-1b2d3e4f5a6b',
        'X-Correlation-Id': 'c0ffee00-1c5d-4b8e-9c4a-1b2d3e4f5a6b',
      });
      expect(res.status).toBe(200);
      expect(res.get('X-Correlation-Id')).toBe('c0ffee00-1c5d-4b8e-9c4a-1b2d3e4f5a6b');
      const bundle = res.body as Bundle;
      const header = bundle.entry?.[0]?.resource as MessageHeader;
      expect(header.eventCoding?.code).toBe('servicerequest-response');
      expect(header.response).toMatchObject({ identifier: ex.facts.requestBundleId, code: 'ok' });
      const outcome = bundle.entry?.find((e) => e.resource?.resourceType === 'OperationOutcome')
        ?.resource as OperationOutcome;
      const nhs = outcome.issue.find((i) => i.expression?.includes('person.nhsNumber'));
      expect(nhs?.severity).toBe('warning');
      expect(JSON.stringify(bundle)).not.toContain(ex.facts.requestNhsNumber);
      // Stored: the referral (consent from the BaRS Consent), the inbound exchange, the request id.
      const row = (await rig.t.sql.query("SELECT * FROM referrals WHERE source_partner_id = 'yas'")).rows[0];
      expect(row.site).toBe('leeds-north');
      // Consent read from the BaRS Consent; the person lives outside the site's catchment: triage rejects.
      expect(row.triage).toEqual({ outcome: 'reject', reason: 'out-of-area' });
      expect(row.task_status).toBe('rejected');
      expect(
        await count("SELECT count(*) AS n FROM exchanges WHERE direction = 'inbound' AND partner_id = 'yas'"),
      ).toBe(1);
      // The Task is readable through focus = the Location's ServiceRequest.
      const srId = header.focus?.[0]?.reference?.split('/').pop();
      const tasks = await request(app()).get(`/fhir/Task?focus=ServiceRequest/${srId}`);
      expect(tasks.status).toBe(200);
      const task = (tasks.body as Bundle).entry?.[0]?.resource as Task;
      expect(task.status).toBe('rejected');
      expect((await request(app()).get(`/fhir/Task/${task.id}`)).body.id).toBe(task.id);
      expect((await request(app()).get(`/fhir/ServiceRequest/${srId}`)).status).toBe(200);
    });

    it('answers a repeated X-Request-Id from the same partner 409 REC_CONFLICT and stores it once', async () => {
      as('yas');
      const res = await post('/$process-message', read(BARS_REQUEST), {
        'X-Request-Id': '60f2bd38-1c5d-4b8e-9c4a-1b2d3e4f5a6b',
      });
      expect(res.status).toBe(409);
      expect(res.body.issue[0]).toMatchObject({ code: 'duplicate', severity: 'error' });
      expect(codes(res.body)).toEqual(['REC_CONFLICT']);
      expect(await count("SELECT count(*) AS n FROM inbound_requests WHERE partner_id = 'yas'")).toBe(1);
      expect(
        await count("SELECT count(*) AS n FROM exchanges WHERE direction = 'inbound' AND partner_id = 'yas'"),
      ).toBe(1);
    });

    it('the same referral resent under a new request id is the same referral (a duplicate version)', async () => {
      as('yas');
      const res = await post('/$process-message', read(BARS_REQUEST), { 'X-Request-Id': 'second-send-1' });
      expect(res.status).toBe(200);
      expect(await count("SELECT count(*) AS n FROM records WHERE record_type = 'referral'")).toBe(1);
    });

    it('accepts the other BaRS servicerequest-request (older code systems; no Consent, out of area)', async () => {
      as('yas');
      // As sent it predates BaRS 1.x: no Bundle.meta.versionId (400), a destination and source endpoint
      // that name no service. Readdressed as a 1.x sender sends it, its older code systems are read.
      const asSent = await post('/$process-message', read(BARS_REQUEST_2));
      expect(asSent.status).toBe(400);
      expect(asSent.body.issue[0].expression).toEqual(['Bundle.meta.versionId']);
      const msg = BARS_REQUEST_2();
      msg.meta = { ...msg.meta, versionId: '1.0.0' };
      const sent = msg.entry![0]!.resource as MessageHeader;
      sent.destination![0]!.endpoint = 'https://fhir.nhs.uk/Id/dos-service-id|2000045871';
      sent.source!.endpoint = 'https://fhir.nhs.uk/Id/dos-service-id|2222222222';
      const res = await post('/$process-message', msg);
      expect(res.status).toBe(200);
      const header = (res.body as Bundle).entry?.[0]?.resource as MessageHeader;
      expect(header.response?.code).toBe('ok');
      // The same person's first referral is closed (rejected): nothing to link.
      expect(await count('SELECT count(*) AS n FROM referral_links')).toBe(0);
      // No Consent resource: consentToRefer is absent (never guessed); out of area is decided first.
      const referrals = await rig.t.sql.query("SELECT payload FROM records WHERE record_type = 'referral'");
      const stored = [];
      for (const r of referrals.rows) {
        const p = await unseal<{ reason?: string }>(r.payload, 'records.payload');
        if (p.reason === ex.facts.olderSystemsReason) stored.push(p);
      }
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toHaveProperty('consentToRefer');
      // The inbound body and the record are stored sealed: the reason text is not in any raw row.
      const raw = await rig.t.sql.query(
        `SELECT payload::text AS v FROM exchanges WHERE direction = 'inbound'
         UNION ALL SELECT payload::text FROM records`,
      );
      expect(raw.rows.length).toBeGreaterThan(1);
      for (const r of raw.rows) {
        expect(JSON.parse(r.v)).toMatchObject({ 'nb:sealed': 1 });
        expect(r.v).not.toContain(ex.facts.olderSystemsReason);
      }
    });

    it('refuses a booking-request message 422 and stores nothing but an audit row', async () => {
      as('yas');
      const before = await count('SELECT count(*) AS n FROM exchanges');
      const res = await post('/$process-message', read(ex.bars.bookingRequest));
      expect(res.status).toBe(422);
      expect(codes(res.body)).toEqual(['REC_UNPROCESSABLE_ENTITY']);
      expect(await count('SELECT count(*) AS n FROM exchanges')).toBe(before);
      expect(
        await count("SELECT count(*) AS n FROM audit_log WHERE action = 'inbound-refused'"),
      ).toBeGreaterThan(0);
    });

    it('refuses a servicerequest-response that answers nothing of ours 404 REC_NOT_FOUND (BaRS Core 1.5)', async () => {
      as('yas');
      const res = await post('/$process-message', read(ex.bars.response));
      expect(res.status).toBe(404);
      expect(codes(res.body)).toEqual(['REC_NOT_FOUND']);
      expect(res.body.issue[0].expression).toEqual(['MessageHeader.response.identifier']);
    });

    it('validates every inbound resource: a structural error 400, an invalid code 422, both with paths', async () => {
      as('gravity-trust');
      const [gravity, patient] = [
        GRAVITY[0]!.serviceRequest(),
        { resourceType: 'Patient', id: ex.facts.gravityPatientId },
      ];
      const tx = (sr: object) => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:5a1b1e2c-0d3e-4f50-8a6b-7c8d9e0f1a2b',
            resource: patient,
            request: { method: 'POST', url: 'Patient' },
          },
          { resource: sr, request: { method: 'POST', url: 'ServiceRequest' } },
        ],
      });
      const badCode = await post('/', tx({ ...gravity, status: 'bogus' }));
      expect(badCode.status).toBe(422);
      expect(badCode.body.issue.map((i: { expression?: string[] }) => i.expression?.[0])).toContain(
        'ServiceRequest.status',
      );
      const badShape = await post('/', tx({ ...gravity, authoredOn: 'yesterday', priority: 7 }));
      expect(badShape.status).toBe(400);
      expect(JSON.stringify(badShape.body)).not.toContain('yesterday');
      const all = await rig.t.sql.query('SELECT payload FROM records');
      for (const r of all.rows)
        expect(JSON.stringify(await unseal(r.payload, 'records.payload'))).not.toContain('bogus');
    });

    it('refuses a searchset Bundle posted as a transaction 400', async () => {
      as('gravity-trust');
      const res = await post('/', read(ex.bars.searchset));
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['REC_BAD_REQUEST']);
    });

    for (const gravity of GRAVITY) {
      it(`Gravity ${gravity.label}: alone 422 (subject not in the request), in a transaction 201`, async () => {
        as('gravity-trust');
        const alone = await post('/ServiceRequest', read(gravity.serviceRequest));
        expect(alone.status).toBe(422);
        expect(alone.body.issue[0].expression).toEqual(['ServiceRequest.subject']);
        const sr = gravity.serviceRequest();
        const res = await post('/', gravityTransaction(sr));
        expect(res.status).toBe(201);
        expect(res.get('Location')).toMatch(
          /^http:\/\/nav\.example\/fhir\/ServiceRequest\/[0-9a-f-]{36}\/_history\/\d+$/,
        );
        expect((res.body as Bundle).type).toBe('transaction-response');
        const srOutcome = (res.body as Bundle).entry?.[0]?.response?.outcome as OperationOutcome | undefined;
        if (gravity === GRAVITY[1]) expect(srOutcome && codes(srOutcome)).toContain('LINKED_REFERRAL');
        // No consent in the request: held, never guessed.
        const srId = serviceRequestIdOf(res.get('Location'));
        const tasks = await request(app()).get(`/fhir/Task?focus=ServiceRequest/${srId}`);
        expect(((tasks.body as Bundle).entry?.[0]?.resource as Task | undefined)?.status).toBe('on-hold');
      });
    }

    it('a new referral for a person with an open referral at the site is linked and flagged', async () => {
      const links = await rig.t.sql.query('SELECT * FROM referral_links');
      expect(links.rows).toHaveLength(1);
      expect(links.rows[0].reason).toBe('open-referral-same-person');
    });

    it('partners read only their own referrals', async () => {
      as('gravity-trust');
      const res = await post('/', gravityTransaction(GRAVITY[0]!.serviceRequest()));
      const srId = serviceRequestIdOf(res.get('Location'));
      as('yas');
      expect((await request(app()).get(`/fhir/ServiceRequest/${srId}`)).status).toBe(404);
      const tasks = await request(app()).get(`/fhir/Task?focus=ServiceRequest/${srId}`);
      expect((tasks.body as Bundle).total).toBe(0);
    });

    it('a revoked ServiceRequest withdraws the referral', async () => {
      as('gravity-trust');
      const sr = { ...GRAVITY[0]!.serviceRequest(), status: 'revoked' } as ServiceRequest;
      const res = await post('/ServiceRequest', sr);
      expect(res.status).toBe(201);
      const rows = await rig.t.sql.query(
        "SELECT status FROM referrals WHERE source_partner_id = 'gravity-trust' ORDER BY received_at",
      );
      expect(rows.rows.map((r) => r.status)).toContain('closed');
    });

    it('the requester must be one of the partner organisations (403); no performer and no default site → 422', async () => {
      as('gravity-trust');
      const bars = read(BARS_REQUEST);
      const other = await post('/$process-message', bars);
      expect(other.status).toBe(403);
      as('no-default');
      const sr = GRAVITY[0]!.serviceRequest();
      const res = await post('/', gravityTransaction({ ...sr, id: 'another-one' }));
      expect(res.status).toBe(422);
      expect(res.body.issue[0].expression).toEqual(['ServiceRequest.performer']);
    });

    it('a partner refers only into its inbound.sites: another site named by performer is 403', async () => {
      as('gravity-trust');
      const sr = GRAVITY[0]!.serviceRequest();
      const named = (value: string) => ({
        ...sr,
        id: `sites-${value}`,
        identifier: [{ system: 'https://gravity.example/Id/referral', value: `SITES-${value}` }],
        performer: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value } }],
      });
      const cardiff = await post('/', gravityTransaction(named('cardiff-vale')));
      expect(cardiff.status).toBe(403);
      expect(codes(cardiff.body)).toEqual(['REC_FORBIDDEN']);
      expect(cardiff.body.issue[0].expression).toEqual(['ServiceRequest.performer']);
      const leeds = await post('/', gravityTransaction(named('NLN01')));
      expect(leeds.status).toBe(201);
    });

    it('checks the requester ODS code in every form: identifier reference, contained, PractitionerRole, homoglyph', async () => {
      as('gravity-trust');
      const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
      let n = 0;
      const withRequester = (requester: object, contained: object[] = []) => {
        n++;
        return gravityTransaction({
          ...GRAVITY[0]!.serviceRequest(),
          id: `req-${n}`,
          identifier: [{ system: 'https://gravity.example/Id/referral', value: `REQ-${n}` }],
          requester,
          ...(contained.length ? { contained } : {}),
        } as ServiceRequest);
      };
      const org = (value: string) => ({
        resourceType: 'Organization',
        id: 'org',
        identifier: [{ system: ODS, value }],
        name: 'Org',
      });
      // Another organisation's ODS code, by logical identifier reference (was never checked).
      const logical = await post('/', withRequester({ identifier: { system: ODS, value: 'B86016' } }));
      expect(logical.status).toBe(403);
      expect(logical.body.issue[0].expression).toEqual(['ServiceRequest.requester.identifier']);
      // Contained Organization, and a PractitionerRole whose organization is by identifier.
      expect((await post('/', withRequester({ reference: '#org' }, [org('B86016')]))).status).toBe(403);
      const role = {
        resourceType: 'PractitionerRole',
        id: 'role',
        organization: { identifier: { system: ODS, value: 'B86016' } },
      };
      const viaRole = await post('/', withRequester({ reference: '#role' }, [role]));
      expect(viaRole.status).toBe(403);
      expect(viaRole.body.issue[0].expression).toEqual([
        'ServiceRequest.requester(PractitionerRole).organization.identifier',
      ]);
      // A Cyrillic letter, a combining accent, a full-width letter in the partner's own code: not ODS codes.
      for (const lookalike of ['R\u0413D', 'RGD\u0301', '\uff32GD']) {
        const value = JSON.parse(`"${lookalike}"`);
        const res = await post('/', withRequester({ identifier: { system: ODS, value } }));
        expect({ lookalike, status: res.status }).toEqual({ lookalike, status: 422 });
        expect(res.body.issue[0].expression).toEqual(['ServiceRequest.requester.identifier']);
      }
      // Its own code, in lower case by identifier: accepted (normalised).
      expect((await post('/', withRequester({ identifier: { system: ODS, value: 'rgd' } }))).status).toBe(
        201,
      );
      expect((await post('/', withRequester({ reference: '#org' }, [org('RGD')]))).status).toBe(201);
    });

    it('refuses other content types 415, oversized bodies 413, malformed JSON 400 without echoing it', async () => {
      as('gravity-trust');
      const plain = await request(app())
        .post('/fhir/ServiceRequest')
        .set('Content-Type', 'text/plain')
        .send('{}');
      expect(plain.status).toBe(415);
      const big = await post('/ServiceRequest', {
        resourceType: 'ServiceRequest',
        note: [{ text: 'x'.repeat(300_000) }],
      });
      expect(big.status).toBe(413);
      const bad = await post('/ServiceRequest', '{"resourceType": "ServiceRequest", "secret-9434765919": ');
      expect(bad.status).toBe(400);
      expect(codes(bad.body)).toEqual(['REC_BAD_REQUEST']);
      expect(JSON.stringify(bad.body)).not.toContain('9434765919');
      const wrong = await post('/ServiceRequest', { resourceType: 'Patient' });
      expect(wrong.status).toBe(400);
    });

    it('requires X-Request-Id and X-Correlation-Id on $process-message and echoes both on every answer', async () => {
      as('yas');
      for (const missing of ['X-Request-Id', 'X-Correlation-Id']) {
        const r = request(app())
          .post('/fhir/$process-message')
          .set('Content-Type', FHIR)
          .set(
            missing === 'X-Request-Id'
              ? { 'X-Correlation-Id': randomUUID() }
              : { 'X-Request-Id': randomUUID() },
          );
        const res = await r.send(JSON.stringify(read(BARS_REQUEST)));
        expect(res.status).toBe(400);
        expect(codes(res.body)).toEqual(['REC_BAD_REQUEST']);
        expect(res.body.issue[0].expression).toEqual([missing]);
      }
      // Echoed on an error answer too (a 415 here), and on reads; a malformed id is not repeated back.
      const ids = { 'X-Request-Id': randomUUID(), 'X-Correlation-Id': randomUUID() };
      const refused = await request(app())
        .post('/fhir/$process-message')
        .set(ids)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(refused.status).toBe(415);
      expect({ rq: refused.get('X-Request-Id'), co: refused.get('X-Correlation-Id') }).toEqual({
        rq: ids['X-Request-Id'],
        co: ids['X-Correlation-Id'],
      });
      const meta = await request(app()).get('/fhir/metadata').set(ids);
      expect(meta.get('X-Correlation-Id')).toBe(ids['X-Correlation-Id']);
      const bad = await request(app()).get('/fhir/metadata').set('X-Correlation-Id', 'not an id <script>');
      expect(bad.get('X-Correlation-Id')).toBeUndefined();
    });

    it('decodes Base64 NHSD-* headers tolerantly and refuses bad Base64 400', async () => {
      as('yas');
      const target = Buffer.from(
        JSON.stringify({ value: '111111111', system: 'https://fhir.nhs.uk/Id/dos-service-id' }),
      ).toString('base64url');
      const ok = await post('/$process-message', read(BARS_REQUEST), { 'NHSD-Target-Identifier': target });
      expect(ok.status).toBe(200);
      const bad = await post('/$process-message', read(BARS_REQUEST), {
        'NHSD-Target-Identifier': '%%%not-base64',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.issue[0].diagnostics).toContain('NHSD-Target-Identifier');
    });

    it('a BaRS destination DoS id selects the site that lists it', async () => {
      as('yas');
      const msg = JSON.parse(read(BARS_REQUEST));
      const header = msg.entry[0].resource;
      header.destination[0].endpoint = 'https://fhir.nhs.uk/Id/dos-service-id|2000099999';
      const sr = msg.entry.find(
        (e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ServiceRequest',
      );
      sr.resource.identifier = [{ system: 'https://yas.example.nhs.uk/Id/referral', value: 'DOS-ROUTED-1' }];
      const res = await post('/$process-message', msg, {
        'X-Request-Id': 'a1b2c3d4-0000-4000-8000-00000000d05e',
      });
      expect(res.status).toBe(200);
      const { rows } = await rig.t.sql.query("SELECT site FROM referrals WHERE source_partner_id = 'yas'");
      expect(rows.map((r) => r.site)).toContain('cardiff-vale');
    });

    it('serves a CapabilityStatement of what is implemented', async () => {
      const res = await request(app()).get('/fhir/metadata');
      expect(res.status).toBe(200);
      expect(res.body.resourceType).toBe('CapabilityStatement');
      expect(res.body.rest[0].operation[0].name).toBe('process-message');
      expect(res.body.rest[0].resource.map((r: { type: string }) => r.type)).toEqual([
        'ServiceRequest',
        'MessageDefinition',
        'Task',
      ]);
      expect(res.body.messaging[0].supportedMessage.map((m: { mode: string }) => m.mode)).toContain(
        'receiver',
      );
    });
  });
}
