// document mode end to end: a GP that files documents as DocumentReference + Binary (full content) and
// a trust that takes document Bundles. Every document either receives is a valid FHIR document, and a
// resend of the same exchange leaves one copy.
import type { Binary, Bundle, Composition, DocumentReference } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthProvider } from '../../../src/delivery/partner-auth.js';
import { PartnerClient } from '../../../src/delivery/partner-client.js';
import { hasErrors } from '../../../src/errors/index.js';
import type { PartnerConfig } from '../../../src/settings/app-config.js';
import { partnerResourceStore } from '../../../src/store/partner-resources.js';
import { unseal } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { profileValidator } from '../../support/validator.js';
import { GP_ODS, type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const ALL = ['referral-status', 'assessment', 'support-plan', 'discharge'];

describe('document delivery mode', () => {
  let gp: PartnerServer;
  let trust: PartnerServer;
  let gpCfg: PartnerConfig;
  let trustCfg: PartnerConfig;
  let h: Harness;

  beforeAll(async () => {
    [gp, trust] = await Promise.all([
      startPartnerServer({ name: 'gp' }),
      startPartnerServer({ name: 'trust' }),
    ]);
    gpCfg = partner({
      id: 'gp-docref',
      kind: 'gp-practice',
      odsCodes: [GP_ODS],
      baseUrl: gp.url,
      mode: 'document',
      document: { transport: 'document-reference', content: 'full' },
      receives: ALL,
    });
    trustCfg = partner({
      id: 'trust-doc',
      baseUrl: trust.url,
      mode: 'document',
      document: { transport: 'bundle', content: 'full' },
      receives: ALL,
    });
    h = await startHarness([gpCfg, trustCfg]);
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([gp?.close(), trust?.close()]);
  });

  function expectValidDocument(doc: Bundle): void {
    expect(doc.type).toBe('document');
    expect(doc.entry?.[0]?.resource?.resourceType).toBe('Composition');
    const composition = doc.entry?.[0]?.resource as Composition;
    expect(composition.section?.length).toBeGreaterThan(0);
    // Full content: the Composition's sections come with the resources they summarise.
    expect(doc.entry?.length).toBeGreaterThan(1);
    const problems = profileValidator().validateBundle(doc);
    expect(problems.filter((p) => p.severity === 'error' || p.severity === 'fatal')).toEqual([]);
  }

  it('files each record as DocumentReference + Binary (a valid document) at the GP, and Bundles at the trust', async () => {
    await h.service.submit('referral', referralFromTrust());
    await h.service.submit('event', recordFixture('event-contacted'));
    await h.service.submit('assessment', recordFixture('assessment-hna'));
    await h.service.submit('support-plan', { ...recordFixture('support-plan'), version: 1 });
    await h.service.submit('event', recordFixture('event-discharged'));
    await h.settled();
    const { rows } = await h.t.sql.query(
      `SELECT partner_id, status, count(*)::int AS n FROM exchanges GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    // Parts of a record no partner takes (e.g. an onward referral) are visibly unroutable.
    expect(rows.filter((r) => r.partner_id !== null && r.status !== 'delivered')).toEqual([]);
    const delivered = Object.fromEntries(
      rows.filter((r) => r.partner_id !== null).map((r) => [r.partner_id, r.n]),
    );
    expect(delivered['gp-docref']).toBeGreaterThanOrEqual(4);

    const refs = gp.readAll<DocumentReference>('DocumentReference');
    const binaries = gp.readAll<Binary>('Binary');
    expect(refs).toHaveLength(delivered['gp-docref']);
    expect(binaries).toHaveLength(delivered['gp-docref']);
    // The GP gets documents only: no Task, CarePlan or QuestionnaireResponse writes.
    for (const type of ['Task', 'CarePlan', 'Goal', 'QuestionnaireResponse', 'Patient'] as const)
      expect(gp.readAll(type)).toHaveLength(0);
    for (const ref of refs) {
      expect(hasErrors(profileValidator().validateResource(ref))).toBe(false);
      const url = ref.content[0]?.attachment.url ?? '';
      const binary = binaries.find((b) => url.endsWith(`Binary/${b.id}`));
      expect(binary, `DocumentReference points at a stored Binary (${url})`).toBeDefined();
      expect(binary?.contentType).toBe('application/fhir+json');
      const doc = JSON.parse(Buffer.from(binary?.data ?? '', 'base64').toString('utf8')) as Bundle;
      expect(ref.masterIdentifier?.value).toBe(doc.identifier?.value);
      expectValidDocument(doc);
    }

    const docs = trust.readAll<Bundle>('Bundle');
    expect(docs).toHaveLength(delivered['trust-doc']);
    for (const doc of docs) expectValidDocument(doc);
  });

  it('a resend of a delivered exchange (same payload, same request id) does not duplicate', async () => {
    const { rows } = await h.t.sql.query(
      `SELECT x.partner_id, x.payload, x.correlation_id, a.request_id FROM exchanges x
         JOIN exchange_attempts a ON a.exchange_id = x.id AND a.outcome = 'delivered'
        WHERE x.status = 'delivered' AND x.partner_id IN ('gp-docref', 'trust-doc')`,
    );
    const counts = () => [
      gp.readAll('DocumentReference').length,
      gp.readAll('Binary').length,
      trust.readAll('Bundle').length,
    ];
    const before = counts();
    for (const row of rows) {
      const cfg = row.partner_id === gpCfg.id ? gpCfg : trustCfg;
      const client = new PartnerClient(
        cfg,
        createAuthProvider(cfg, undefined),
        partnerResourceStore(h.t.db, cfg.id),
      );
      const sent = await client.send({
        exchangeId: 'resend',
        payload: await unseal(row.payload, 'exchanges.payload'),
        requestId: row.request_id,
        correlationId: row.correlation_id,
      });
      expect(sent.httpStatus).toBeLessThan(300);
    }
    expect(rows.length).toBeGreaterThan(0);
    expect(counts()).toEqual(before);
  });
});
