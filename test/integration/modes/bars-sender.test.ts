// BaRS as a sender end to end (issue 11 §2): a BaRS referral received from a partner is answered
// over $process-message to a real sandbox partner with a message that names the request it answers
// and carries the requester's own ServiceRequest; an answer from an intermediary (no echoed request
// ids, no OperationOutcome) is sent again.
import type { Bundle, Encounter, MessageHeader, ServiceRequest } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthProvider } from '../../../src/delivery/partner-auth.js';
import { CAPABILITY_MAX_AGE_MS, CapabilityCache } from '../../../src/delivery/partner-capabilities.js';
import { PartnerHttp } from '../../../src/delivery/partner-http.js';
import { SUPPORTED_DEFINITIONS, validateAgainstDefinition } from '../../../src/intake/message-definitions.js';
import { fhirFixture, recordFixture } from '../../support/fixtures.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { exchangeFor, type Harness, partner, startHarness } from './harness.js';

const ID = 'yas-bars';
const REQUEST = 'bars/servicerequest-request-new.json';

describe('BaRS as a sender', () => {
  let yas: PartnerServer;
  let h: Harness;

  beforeAll(async () => {
    yas = await startPartnerServer({ name: 'yas' });
    h = await startHarness([
      partner({
        id: ID,
        baseUrl: yas.url,
        mode: 'message',
        dosServiceId: '2222222222',
        odsCodes: ['RND'],
        receives: ['referral-status'],
        inbound: { clientId: 'yas-bars-client', publicKeysEnv: 'UNUSED_JWKS', defaultSite: 'leeds-north' },
      }),
    ]);
  });
  afterAll(async () => {
    await h?.close();
    await yas?.close();
  });

  const messages = () =>
    yas
      .requestLog()
      .filter((e) => e.method === 'POST' && e.path === '/$process-message' && e.status === 200)
      .map((e) => e.body as Bundle);

  it("answers a BaRS referral naming the request's Bundle.id, with the requester's ServiceRequest", async () => {
    const request = fhirFixture<Bundle>(REQUEST);
    const out = await h.navbridge.receiveReferral(
      { kind: 'partner', partnerId: ID },
      { kind: 'message', body: request, requestId: 'req-bars-1', correlationId: 'corr-bars-1' },
    );
    expect(out.kind).toBe('referral');
    await h.settled();
    const [answer] = messages();
    expect(answer).toBeDefined();
    const entries = answer?.entry ?? [];
    const byUrl = new Map(entries.map((e) => [e.fullUrl, e.resource]));
    const mh = entries[0]?.resource as MessageHeader;
    expect(mh.eventCoding?.code).toBe('servicerequest-response');
    expect(mh.response).toEqual({ identifier: request.id, code: 'ok' });
    expect(byUrl.get(mh.sender?.reference)?.resourceType).toBe('Organization');
    expect(byUrl.get(mh.destination?.[0]?.receiver?.reference)?.resourceType).toBe('Organization');
    const theirs = request.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.fullUrl;
    const srs = entries.filter((e) => e.resource?.resourceType === 'ServiceRequest');
    expect(srs.map((e) => e.fullUrl)).toEqual([theirs]);
    const sr = srs[0]?.resource as ServiceRequest;
    expect(sr.id).toBe(theirs?.replace('urn:uuid:', ''));
    const encounter = byUrl.get(sr.encounter?.reference) as Encounter;
    expect(encounter.episodeOfCare?.[0]?.type).toBe('EpisodeOfCare');
  });

  it('sends again when an intermediary answered (no echoed ids, no OperationOutcome)', async () => {
    const referral = recordFixture('referral');
    referral.id = 'REF-BARS-INTERMEDIARY';
    referral.referrer.odsCode = 'RND';
    yas.injectFaults({ status: 502, intermediary: true });
    const id = exchangeFor(await h.service.submit('referral', referral), ID);
    await h.waitStatus(id, 'delivered');
    expect((await h.attempts(id)).map((a) => [a.outcome, a.error_class])).toEqual([
      ['retry', 'intermediary'],
      ['delivered', null],
    ]);
  });

  const metadataReads = () =>
    yas.requestLog().filter((e) => e.method === 'GET' && e.path === '/metadata').length;

  it("reads the partner's CapabilityStatement once for many messages", () => {
    // Every message above was checked against it: one read, from the first message on.
    expect(messages().length).toBeGreaterThan(1);
    expect(metadataReads()).toBe(1);
  });

  it('keeps a CapabilityStatement no longer than 24 hours', async () => {
    let now = 0;
    const http = new PartnerHttp(
      yas.url,
      3_000,
      createAuthProvider(
        partner({ id: 'cache', baseUrl: yas.url, mode: 'message', dosServiceId: '2000000001' }),
        undefined,
      ),
    );
    const cache = new CapabilityCache(http, () => now);
    const before = metadataReads();
    expect((await cache.get()).searchesServiceRequests).toBe(true);
    now = CAPABILITY_MAX_AGE_MS - 1;
    await cache.get();
    expect(metadataReads()).toBe(before + 1);
    now = CAPABILITY_MAX_AGE_MS;
    await cache.get();
    expect(metadataReads()).toBe(before + 2);
  });
});

describe('BaRS onward referral: the receiving service, updates read first', () => {
  const ONWARD = 'cab-bars';
  let cab: PartnerServer;
  let h: Harness;

  beforeAll(async () => {
    cab = await startPartnerServer({ name: 'cab' });
    h = await startHarness([
      partner({
        id: ONWARD,
        kind: 'community-service',
        baseUrl: cab.url,
        mode: 'message',
        dosServiceId: '2000033333',
        odsCodes: ['CAL01'],
        receives: ['onward-referral'],
      }),
    ]);
    const referral = recordFixture('referral');
    referral.sharing.withOnwardServices = true;
    await h.service.submit('referral', referral);
    await h.settled();
  });
  afterAll(async () => {
    await h?.close();
    await cab?.close();
  });

  const plan = (version: number) => {
    const p = recordFixture('support-plan');
    p.version = version;
    p.onwardReferrals[0].service.odsCode = 'CAL01';
    return p;
  };
  const log = () => cab.requestLog().map((e) => `${e.method} ${e.path.split('?')[0]}`);

  it('sends the Patient with a new onward referral, and reads the current referral before an update', async () => {
    await h.waitStatus(exchangeFor(await h.service.submit('support-plan', plan(1)), ONWARD), 'delivered');
    const first = cab.requestLog().find((e) => e.path === '/$process-message')?.body as Bundle;
    expect(first.entry?.some((e) => e.resource?.resourceType === 'Patient')).toBe(true);
    // As the service builds it (the plan from the mapped support plan), it meets BaRS's referral
    // MessageDefinition as navbridge's own receiver checks it.
    const referralDef = SUPPORTED_DEFINITIONS.find((d) => d.id === 'bars-servicerequest-request-referral')!;
    const entries = (first.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    expect(validateAgainstDefinition(referralDef, entries)).toEqual([]);
    expect(log()).not.toContain('GET /ServiceRequest');
    const from = cab.requestLog().length;
    await h.waitStatus(exchangeFor(await h.service.submit('support-plan', plan(2)), ONWARD), 'delivered');
    expect(log().slice(from)).toEqual(['GET /ServiceRequest', 'POST /$process-message']);
  });

  it('does not update a referral the receiving service has closed', async () => {
    const [held] = cab.readAll<ServiceRequest>('ServiceRequest');
    expect(held).toBeDefined();
    const closed = await fetch(`${cab.url}/ServiceRequest/${held?.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ ...held, status: 'completed' }),
    });
    expect(closed.status).toBe(200);
    const id = exchangeFor(await h.service.submit('support-plan', plan(3)), ONWARD);
    await h.waitStatus(id, 'dead');
    expect((await h.attempts(id)).map((a) => a.error_class)).toEqual(['closed-at-partner']);
  });
});
