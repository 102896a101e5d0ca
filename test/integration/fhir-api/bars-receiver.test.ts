// navbridge as a BaRS receiver (issue 11 §1), over HTTP against real PostgreSQL: the specification's
// processing order on $process-message (version, destination, reply address, MessageDefinition, use
// case), version negotiation (406), transactional integrity (425 while in progress, ids echoed on every
// answer, every version kept) and the cancellation the specification words two ways (update, delete).
import { randomUUID } from 'node:crypto';
import type { Bundle, MessageDefinition, MessageHeader, OperationOutcome, ServiceRequest } from 'fhir/r4.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { inboundReferralId, SUPPORTED_DEFINITIONS } from '../../../src/intake/index.js';
import { unseal } from '../../support/db.js';
import { fhirFixture } from '../../support/fixtures.js';
import { waitFor } from '../../support/wait.js';
import { fhirApiRig } from './rig.js';

const YAS_REF = 'https://yas.example.nhs.uk/Id/referral';
const DEFINITION = 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-';

interface Parts {
  bundle: Bundle;
  header: MessageHeader;
  sr: ServiceRequest;
}

/** A fixture message (new, update or delete) about the referral `ref`, edited by the test. */
function message(ref: string, edit?: (p: Parts) => void, file = 'new'): Bundle {
  const bundle = fhirFixture<Bundle>(`bars/servicerequest-request-${file}.json`);
  const header = bundle.entry![0]!.resource as MessageHeader;
  const sr = bundle.entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!
    .resource as ServiceRequest;
  sr.identifier = [{ system: YAS_REF, value: ref }];
  edit?.({ bundle, header, sr });
  return bundle;
}

const refusal = (body: OperationOutcome) =>
  body.issue.map((i) => ({ code: i.details?.coding?.[0]?.code, at: i.expression?.[0] }));
const referralOf = (ref: string) => inboundReferralId('yas', { system: YAS_REF, value: ref });

describe('BaRS receiver: $process-message processing order and transactional integrity', () => {
  const rig = fhirApiRig();
  const { as, post } = rig;
  const row = async (ref: string) =>
    (
      await rig.t.sql.query('SELECT status, reply_to FROM referrals WHERE referral_id = $1', [
        referralOf(ref),
      ])
    ).rows[0];

  it('Bundle.meta.versionId: missing 400, another major version or no version 422 — before anything else', async () => {
    as('yas');
    const missing = await post(
      '/$process-message',
      message('V-1', (p) => delete p.bundle.meta!.versionId),
    );
    expect(missing.status).toBe(400);
    expect(refusal(missing.body)).toEqual([{ code: 'REC_BAD_REQUEST', at: 'Bundle.meta.versionId' }]);
    for (const versionId of ['2.0.0', '0.9.1', 'latest']) {
      const res = await post(
        '/$process-message',
        message('V-1', (p) => (p.bundle.meta!.versionId = versionId)),
      );
      expect({ versionId, status: res.status }).toEqual({ versionId, status: 422 });
      expect(res.body.issue[0]).toMatchObject({
        code: 'not-supported',
        expression: ['Bundle.meta.versionId'],
      });
    }
    // The real examples' pre-release 1.x versions are accepted.
    const alpha = await post(
      '/$process-message',
      message('V-1', (p) => (p.bundle.meta!.versionId = '1.1.0-alpha')),
    );
    expect(alpha.status).toBe(200);
  });

  it('MessageHeader.destination must name this service: endpoint a site DoS id, receiver its Organization (422)', async () => {
    as('yas');
    const elsewhere = await post(
      '/$process-message',
      message(
        'D-1',
        (p) => (p.header.destination![0]!.endpoint = 'https://fhir.nhs.uk/Id/dos-service-id|999000999'),
      ),
    );
    expect(elsewhere.status).toBe(422);
    expect(refusal(elsewhere.body)).toEqual([
      { code: 'REC_UNPROCESSABLE_ENTITY', at: 'MessageHeader.destination.endpoint' },
    ]);
    const noReceiver = await post(
      '/$process-message',
      message('D-1', (p) => delete p.header.destination![0]!.receiver),
    );
    expect(refusal(noReceiver.body)).toEqual([
      { code: 'REC_UNPROCESSABLE_ENTITY', at: 'MessageHeader.destination[0].receiver' },
    ]);
    // The receiver Organization carries another organisation's ODS code.
    const otherOrg = message('D-1', (p) => {
      const receiver = p.bundle.entry!.find(
        (e) => e.fullUrl === p.header.destination![0]!.receiver!.reference,
      )!;
      (receiver.resource as { identifier?: unknown }).identifier = [
        { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RXE' },
      ];
    });
    const other = await post('/$process-message', otherOrg);
    expect(other.status).toBe(422);
    expect(other.body.issue[0].expression).toEqual(['MessageHeader.destination[0].receiver']);
    expect(
      await rig.count('SELECT count(*) AS n FROM referrals WHERE referral_id = $1', [referralOf('D-1')]),
    ).toBe(0);
  });

  it('keeps MessageHeader.source.endpoint as the reply address; refuses a message without one 422', async () => {
    as('yas');
    const res = await post('/$process-message', message('R-1'));
    expect(res.status).toBe(200);
    // The fixture's http:// system is read in its canonical form.
    expect((await row('R-1')).reply_to).toBe('https://fhir.nhs.uk/Id/dos-service-id|2222222222');
    const template = await post(
      '/$process-message',
      message('R-2', (p) => (p.header.source!.endpoint = '[ODSCode]:[DoSId]')),
    );
    expect(template.status).toBe(422);
    expect(template.body.issue[0].expression).toEqual(['MessageHeader.source.endpoint']);
  });

  it('checks the Bundle against the MessageDefinition it names (422, every shortfall); none named is a warning', async () => {
    as('yas');
    const unknown = await post(
      '/$process-message',
      message('M-1', (p) => (p.header.definition = `${DEFINITION}unheard-of`)),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.issue[0]).toMatchObject({
      code: 'not-supported',
      expression: ['MessageHeader.definition'],
    });
    const short = message('M-1', (p) => {
      p.bundle.entry = p.bundle.entry!.filter(
        (e) => !['Consent', 'CarePlan'].includes(e.resource!.resourceType),
      );
      p.sr.basedOn = undefined;
    });
    const res = await post('/$process-message', short);
    expect(res.status).toBe(422);
    expect(res.body.issue.map((i: { expression: string[] }) => i.expression[0]).sort()).toEqual([
      'Bundle.entry.resource.ofType(CarePlan)',
      'Bundle.entry.resource.ofType(Consent)',
    ]);
    const unnamed = await post(
      '/$process-message',
      message('M-2', (p) => delete p.header.definition),
    );
    expect(unnamed.status).toBe(200);
    expect(JSON.stringify(unnamed.body)).toContain('BARS_NO_DEFINITION');
  });

  it('refuses a BaRS use-case category the site does not take 422; accepts one it takes', async () => {
    as('yas');
    const withUseCase = (ref: string, code: string) =>
      message(ref, (p) => {
        p.sr.category = [
          ...(p.sr.category ?? []),
          { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/usecases-categories-bars', code }] },
        ];
      });
    const edToPharmacy = await post('/$process-message', withUseCase('U-1', 'a5t1'));
    expect(edToPharmacy.status).toBe(422);
    expect(edToPharmacy.body.issue[0]).toMatchObject({
      code: 'not-supported',
      expression: ['ServiceRequest.category'],
    });
    expect((await post('/$process-message', withUseCase('U-2', 'a4t3'))).status).toBe(200);
  });

  it('a servicerequest-response without MessageHeader.response 400; answering nothing of ours 404', async () => {
    as('yas');
    const response = fhirFixture<Bundle>('bars/servicerequest-response.json');
    const header = response.entry![0]!.resource as MessageHeader;
    expect((await post('/$process-message', response)).status).toBe(404);
    delete header.response;
    const res = await post('/$process-message', response);
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ code: 'invariant', expression: ['MessageHeader.response'] });
  });

  it('Accept with a higher BaRS major version → 406, ids echoed; the same major or none is answered', async () => {
    as('yas');
    const ids = { 'X-Request-Id': randomUUID(), 'X-Correlation-Id': randomUUID() };
    const res = await post('/$process-message', message('A-1'), {
      ...ids,
      Accept: 'application/fhir+json; version=2.0.0',
    });
    expect(res.status).toBe(406);
    expect(refusal(res.body)).toEqual([{ code: 'REC_NOT_ACCEPTABLE', at: 'Accept' }]);
    expect([res.get('X-Request-Id'), res.get('X-Correlation-Id')]).toEqual([
      ids['X-Request-Id'],
      ids['X-Correlation-Id'],
    ]);
    const meta = await request(rig.app)
      .get('/fhir/metadata')
      .set('Accept', 'application/fhir+json;version=3.1.0');
    expect(meta.status).toBe(406);
    const same = await post('/$process-message', message('A-1'), {
      Accept: 'application/fhir+json; version=1.4.0',
    });
    expect(same.status).toBe(200);
  });

  it('serves the MessageDefinitions it checks against, listed in the CapabilityStatement messaging', async () => {
    const list = await request(rig.app).get('/fhir/MessageDefinition');
    expect(list.status).toBe(200);
    const defs = (list.body as Bundle).entry!.map((e) => e.resource as MessageDefinition & { id: string });
    expect(defs.map((d) => d.url)).toEqual(SUPPORTED_DEFINITIONS.map((d) => d.url));
    // Each names the sites' DoS ids and use cases (useContext), as BaRS content negotiation reads them.
    expect(JSON.stringify(defs[0]!.useContext)).toContain('2000099999');
    const one = await request(rig.app).get(`/fhir/MessageDefinition/${defs[1]!.id}`);
    expect(one.body).toMatchObject({ resourceType: 'MessageDefinition', url: defs[1]!.url });
    expect((await request(rig.app).get('/fhir/MessageDefinition/nope')).status).toBe(404);
    const cs = await request(rig.app).get('/fhir/metadata');
    const supported = cs.body.messaging[0].supportedMessage.map((m: { definition: string }) => m.definition);
    expect(supported).toEqual(defs.map((d) => d.url));
  });

  it('a repeat while the first is still being processed is 425 REC_TOO_EARLY; once it committed, 409', async () => {
    as('yas');
    const ids = { 'X-Request-Id': randomUUID(), 'X-Correlation-Id': randomUUID() };
    // Hold the referral's record lock: the first request claims its X-Request-Id, then waits for it.
    const holder = await rig.t.sql.connect();
    const recordLock = `rec|leeds-north|referral|${referralOf('T-1')}`;
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [recordLock]);
    try {
      const first = post('/$process-message', message('T-1'), ids).then((r) => r);
      await waitFor(
        async () =>
          Number(
            (
              await rig.t.sql.query(
                `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
                   AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
                [recordLock],
              )
            ).rows[0].n,
          ) > 0,
        { what: 'the first request waiting on the record lock' },
      );
      const second = await post('/$process-message', message('T-1'), ids);
      expect(second.status).toBe(425);
      expect(refusal(second.body)).toEqual([{ code: 'REC_TOO_EARLY', at: 'X-Request-Id' }]);
      expect(second.get('X-Correlation-Id')).toBe(ids['X-Correlation-Id']);
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [recordLock]);
      expect((await first).status).toBe(200);
    } finally {
      holder.release();
    }
    const third = await post('/$process-message', message('T-1'), ids);
    expect(third.status).toBe(409);
  });

  it('keeps every version of a referral: an update stores version 2, version 1 stays readable', async () => {
    as('yas');
    expect((await post('/$process-message', message('H-1'))).status).toBe(200);
    expect((await post('/$process-message', message('H-1', undefined, 'update'))).status).toBe(200);
    const { rows } = await rig.t.sql.query(
      "SELECT version, payload FROM records WHERE record_type = 'referral' AND source_id = $1 ORDER BY version",
      [referralOf('H-1')],
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    const [v1, v2] = await Promise.all(
      rows.map((r) => unseal<{ version: number }>(r.payload, 'records.payload')),
    );
    expect([v1!.version, v2!.version]).toEqual([1, 2]);
    expect(JSON.stringify(v1)).not.toEqual(JSON.stringify({ ...v2, version: 1 }));
  });

  it('a cancellation worded either way: reason update with status revoked, and reason delete', async () => {
    as('yas');
    for (const ref of ['C-UPDATE', 'C-DELETE'])
      expect((await post('/$process-message', message(ref))).status).toBe(200);
    // Bundle processing (BaRS Core 1.5): reason "update", ServiceRequest revoked, the cancelled definition.
    const byUpdate = message(
      'C-UPDATE',
      (p) => {
        p.sr.status = 'revoked';
        p.header.definition = `${DEFINITION}cancelled`;
      },
      'update',
    );
    expect((await post('/$process-message', byUpdate)).status).toBe(200);
    // Standard pattern "Cancellation": reason "delete" (the ServiceRequest still says active).
    const byDelete = message('C-DELETE', undefined, 'delete');
    expect(
      byDelete.entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!.resource,
    ).toMatchObject({
      status: 'active',
    });
    expect((await post('/$process-message', byDelete)).status).toBe(200);
    expect([(await row('C-UPDATE')).status, (await row('C-DELETE')).status]).toEqual(['closed', 'closed']);
  });
});
