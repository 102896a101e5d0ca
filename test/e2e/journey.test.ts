// The closed loop end to end, every part a real process: a trust refers people in over FHIR and BaRS
// with signed JWTs, the navigator works with them through the navigator API, and the trust's server
// (transaction mode) and the GP's server (document mode) end up holding each update exactly once, and
// only where the person agreed — also through a withdrawal while the GP is down and faults at the trust.
import type {
  Bundle,
  CarePlan,
  Communication,
  MessageHeader,
  Resource,
  ServiceRequest,
  Task,
} from 'fhir/r4.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unseal } from '../support/db.js';
import { type E2E, GP, type Sandbox, startE2E, TRUST } from '../support/e2e.js';
import { profileValidator } from '../support/validator.js';
import { waitFor } from '../support/wait.js';
import { barsMessage, IDS, ident, json, loopClient, type Person, person, trustReferral } from './loop.js';

const validator = profileValidator();

/** Runs each case's steps; a failure shows every process's output. */
describe('the closed loop, end to end (sandbox partners, serve and worker as processes)', () => {
  let e: E2E;

  beforeAll(async () => {
    e = await startE2E();
  }, 120_000);
  afterAll(async () => {
    await e?.close();
  }, 30_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && e) process.stderr.write(`${e.output()}\n`);
  });

  const {
    navigator,
    taskFor,
    referralIdOf,
    refer,
    agreeSharing,
    journey,
    exchanges,
    settled,
    countAt,
    taskHistory,
    gpDocuments,
    sectionTitles,
  } = loopClient(() => e);

  /** Everything the trust and GP must hold after a full journey with sharing agreed with both. */
  async function assertFullJourney(p: Person, referralId: string): Promise<void> {
    const rows = await settled(referralId);
    // PostgreSQL: every exchange delivered (or superseded by a later version) once, none dead.
    const sent = rows.filter((x) => !['no-route'].includes(x.status));
    expect(sent.filter((x) => !['delivered', 'superseded'].includes(x.status))).toEqual([]);
    for (const x of sent)
      expect(x.attempts, `${x.record_type} ${x.source_id}`).toBe(x.status === 'delivered' ? 1 : 0);
    expect(new Set(sent.map((x) => x.partner_id))).toEqual(new Set([TRUST.id, GP.id]));

    // The trust: each resource exactly once, by business identifier.
    const [task] = await e.trust.search<Task>('Task', { identifier: ident('referral-task', referralId) });
    expect(await countAt(e.trust, 'Task', 'referral-task', referralId)).toBe(1);
    expect(task?.status).toBe('completed');
    expect(task?.businessStatus?.coding?.[0]?.code).toBe('discharged');
    expect(await taskHistory(e.trust, referralId)).toEqual([
      'accepted',
      'contacted',
      'assessment-completed',
      'plan-agreed',
      'discharged',
    ]);
    const asm = `${p.tag}-ASM-1`;
    const plan = `${p.tag}-PLAN-1`;
    expect(await countAt(e.trust, 'QuestionnaireResponse', 'assessment', asm)).toBe(1);
    const carePlans = await e.trust.search<CarePlan>('CarePlan', { identifier: ident('support-plan', plan) });
    expect(carePlans.map((c) => c.status)).toEqual(['completed']);
    for (const g of ['G1', 'G2', 'G3'])
      expect(await countAt(e.trust, 'Goal', 'support-plan-goal', `${plan}/${g}`), g).toBe(1);
    expect(await countAt(e.trust, 'ServiceRequest', 'support-plan-onward-referral', `${plan}/OR1`)).toBe(1);
    const discharge = await e.trust.search<Communication>('Communication', {
      identifier: ident('event', `${p.tag}-EV-4`),
    });
    expect(discharge).toHaveLength(1);
    // Nothing else about the person: one of each, goals three.
    const about = async (server: Sandbox, type: Resource['resourceType']) =>
      (await server.search(type)).filter((r) => JSON.stringify(r).includes(p.nhs)).length;
    expect(await about(e.trust, 'QuestionnaireResponse')).toBe(1);
    expect(await about(e.trust, 'CarePlan')).toBe(1);
    expect(await about(e.trust, 'Goal')).toBe(3);
    expect(await about(e.trust, 'Communication')).toBe(1);

    // The GP: summary documents only, one per delivered exchange, each valid and once.
    const docs = await gpDocuments(p.nhs);
    const gpDelivered = sent.filter((x) => x.partner_id === GP.id && x.status === 'delivered');
    expect(docs).toHaveLength(gpDelivered.length);
    expect(new Set(docs.map((d) => d.identifier?.value)).size).toBe(docs.length);
    for (const d of docs) {
      expect(d.type).toBe('document');
      expect(d.entry?.[0]?.resource?.resourceType).toBe('Composition');
      expect(validator.validateBundle(d).filter((i) => i.severity === 'error')).toEqual([]);
    }
    const titles = new Set(docs.flatMap(sectionTitles));
    for (const t of ['Referral status', 'Needs identified', 'Support plan goals', 'Onward referrals'])
      expect(titles).toContain(t);
    for (const type of ['Task', 'CarePlan', 'QuestionnaireResponse', 'Goal'] as const)
      expect(await e.gp.search(type), type).toEqual([]);
    // Partners own patient records and the directory owns organisations: neither is ever written.
    for (const server of [e.trust, e.gp]) {
      expect(await server.search('Patient')).toEqual([]);
      expect(await server.search('Organization')).toEqual([]);
    }
  }

  it('journey 1: POST /fhir/ServiceRequest → accepted → sharing → contact … discharge, once each where agreed', async () => {
    const p = person('A');
    const { task, referralId } = await refer(trustReferral(p));
    expect(task.status).toBe('accepted');
    expect(referralId).not.toBe('');
    const open = await navigator<{ referrals: { id: string; status: string }[] }>(
      'GET',
      '/api/v1/referrals?status=open',
      undefined,
      'open referrals',
    );
    expect(open.referrals.map((r) => r.id)).toContain(referralId);
    await agreeSharing(referralId, {
      statusUpdates: true,
      withReferrer: true,
      withGp: true,
      withOnwardServices: false,
    });
    await journey(referralId, p.tag);
    await assertFullJourney(p, referralId);
  }, 90_000);

  it('journey 2: the same loop for a referral sent as a BaRS servicerequest-request message', async () => {
    const p = person('B');
    const message = barsMessage(trustReferral(p));
    const res = await e.asTrust('POST', '/fhir/$process-message', message);
    const answer = await json<Bundle>(res, 'BaRS message');
    expect(res.status).toBe(200);
    const header = answer.entry?.[0]?.resource as MessageHeader;
    expect(header.eventCoding?.code).toBe('servicerequest-response');
    expect(header.response).toMatchObject({ identifier: message.id, code: 'ok' });
    const srId = header.focus?.[0]?.reference?.split('/').pop() ?? '';
    const task = await taskFor(srId);
    expect(task.status).toBe('accepted');
    const referralId = referralIdOf(task);
    await agreeSharing(referralId, {
      statusUpdates: true,
      withReferrer: true,
      withGp: true,
      withOnwardServices: false,
    });
    await journey(referralId, p.tag);
    await assertFullJourney(p, referralId);
  }, 90_000);

  it('sharing: without the GP agreed, the GP gets status documents only and the content is withheld', async () => {
    const p = person('C');
    const { referralId } = await refer(trustReferral(p));
    await agreeSharing(referralId, {
      statusUpdates: true,
      withReferrer: true,
      withGp: false,
      withOnwardServices: false,
    });
    await journey(referralId, p.tag);
    await settled(referralId);
    const { rows: toGp } = await e.t.sql.query(
      `SELECT record_type, source_id, status, payload FROM exchanges
        WHERE direction = 'outbound' AND referral_id = $1 AND partner_id = $2 ORDER BY seq`,
      [referralId, GP.id],
    );
    // The assessment, the plan and the plan's completion at discharge are withheld, visibly.
    const withheld = toGp.filter((x) => x.status === 'withheld-no-consent');
    expect(withheld.map((x) => `${x.record_type} ${x.source_id}`)).toEqual([
      `assessment ${p.tag}-ASM-1`,
      `support-plan ${p.tag}-PLAN-1`,
      `event ${p.tag}-EV-4`,
    ]);
    const withheldTypes = new Set(
      (await Promise.all(withheld.map((x) => unseal<Bundle>(x.payload, 'exchanges.payload')))).flatMap(
        (b) => b.entry?.map((en) => en.resource?.resourceType) ?? [],
      ),
    );
    expect([...withheldTypes].sort()).toEqual([
      'CarePlan',
      'Goal',
      'QuestionnaireResponse',
      'ServiceRequest',
      // The onward referral's Task, withheld with its ServiceRequest.
      'Task',
    ]);
    const { rows: withheldAttempts } = await e.t.sql.query(
      `SELECT count(*)::int AS n FROM exchange_attempts a JOIN exchanges x ON x.id = a.exchange_id
        WHERE x.referral_id = $1 AND x.status = 'withheld-no-consent'`,
      [referralId],
    );
    expect(withheldAttempts[0].n).toBe(0);
    // Status updates (direct care) all reach the GP, the discharge included.
    const status = toGp.filter((x) => x.status !== 'withheld-no-consent');
    expect(status.filter((x) => x.status !== 'delivered')).toEqual([]);
    expect(status.map((x) => x.source_id)).toContain(`${p.tag}-EV-4`);

    const docs = await gpDocuments(p.nhs);
    expect(docs).toHaveLength(status.length);
    const titles = new Set(docs.flatMap(sectionTitles));
    expect(titles).toContain('Referral status');
    expect(titles).toContain('Discharge');
    for (const t of titles) expect(['Referral status', 'Discharge'], t).toContain(t);
    const text = JSON.stringify(docs);
    for (const planText of ['Keep my flat', 'Universal Credit I am entitled to', 'Citizens Advice'])
      expect(text).not.toContain(planText);
    // The referrer agreed: the trust has the content.
    expect(await countAt(e.trust, 'QuestionnaireResponse', 'assessment', `${p.tag}-ASM-1`)).toBe(1);
    expect(await countAt(e.trust, 'CarePlan', 'support-plan', `${p.tag}-PLAN-1`)).toBe(1);
  }, 90_000);

  it('a crisis referral is rejected with the crisis pathway in the Task note, and nothing else is sent', async () => {
    const p = person('D');
    const { task, referralId } = await refer(trustReferral(p, 'trust-crisis-referral.json'));
    expect(task.status).toBe('rejected');
    expect(task.statusReason?.coding?.[0]?.code).toBe('in-crisis');
    const note = (task.note ?? []).map((n) => n.text).join('\n');
    expect(note).toContain('This service cannot help in a crisis');
    expect(note).toContain('116 123');
    const closed = await navigator<{ referrals: { id: string }[] }>(
      'GET',
      '/api/v1/referrals?status=closed',
      undefined,
      'closed referrals',
    );
    expect(closed.referrals.map((r) => r.id)).toContain(referralId);

    const rows = await settled(referralId);
    expect(rows.every((x) => x.record_type === 'referral' && x.version === 1)).toBe(true);
    expect(rows.filter((x) => x.partner_id === TRUST.id).map((x) => x.status)).toEqual(['delivered']);
    const [atTrust] = await e.trust.search<Task>('Task', { identifier: ident('referral-task', referralId) });
    expect(await countAt(e.trust, 'Task', 'referral-task', referralId)).toBe(1);
    expect(atTrust?.status).toBe('rejected');
    expect(atTrust?.statusReason?.coding?.[0]?.code).toBe('in-crisis');
    expect((atTrust?.note ?? []).map((n) => n.text).join('\n')).toContain(
      'This service cannot help in a crisis',
    );
    // Nothing but the answer — the Task and the referral it answers (its focus) — is about the person.
    const srs = (await e.trust.search<ServiceRequest>('ServiceRequest')).filter((r) =>
      JSON.stringify(r).includes(p.nhs),
    );
    expect(srs.map((r) => r.identifier?.find((i) => i.system === `${IDS}/referral`)?.value)).toEqual([
      referralId,
    ]);
    for (const type of [
      'QuestionnaireResponse',
      'CarePlan',
      'Goal',
      'Communication',
      'Observation',
      'Flag',
    ] as const) {
      const about = (await e.trust.search(type)).filter((r) => JSON.stringify(r).includes(p.nhs));
      expect(about, type).toEqual([]);
    }
    // The GP hears of it at most as one status document.
    const docs = await gpDocuments(p.nhs);
    expect(docs.length).toBeLessThanOrEqual(1);
    for (const d of docs) expect(sectionTitles(d)).toEqual(['Referral status']);
  }, 60_000);

  it('exactly once under faults: a 503, a dropped connection and a lost answer at the trust', async () => {
    const p = person('E');
    // The trust's next requests (the worker's) fail in turn: 503, connection dropped before it is
    // processed, then processed with the answer held past the client's timeout.
    await e.trust.injectFaults({ status: 503 }, { dropConnection: true }, { delayMs: 20_000 });
    const { referralId } = await refer(trustReferral(p));
    let rows = await settled(referralId);
    const ack = rows.find((x) => x.partner_id === TRUST.id && x.record_type === 'referral');
    expect(ack?.status).toBe('delivered');
    const { rows: attempts } = await e.t.sql.query(
      'SELECT request_id, outcome, error_class FROM exchange_attempts WHERE exchange_id = $1 ORDER BY attempt_no',
      [ack!.id],
    );
    expect(attempts.map((a) => a.error_class)).toEqual(['http-503', 'network', 'timeout', null]);
    // Every retry of the attempt is the same request: one request id throughout.
    expect(new Set(attempts.map((a) => a.request_id)).size).toBe(1);
    const posts = (await e.trust.requests()).filter(
      (r) => r.method === 'POST' && r.path === '/' && r.headers['x-request-id'] === attempts[0].request_id,
    );
    // The held request was applied (its answer lost); the retry's creates found what it made and were
    // sent again as conditional updates of the versions the trust reported (If-Match).
    expect(posts.map((r) => r.status)).toEqual([503, 0, 200, 200, 200]);

    await agreeSharing(referralId, { statusUpdates: true, withReferrer: true, withGp: true });
    await journey(referralId, p.tag, 3);
    rows = await settled(referralId);
    expect(rows.filter((x) => x.status !== 'delivered')).toEqual([]);
    for (const x of rows) if (x.id !== ack!.id) expect(x.attempts).toBe(1);
    expect(await countAt(e.trust, 'Task', 'referral-task', referralId)).toBe(1);
    expect(await countAt(e.trust, 'QuestionnaireResponse', 'assessment', `${p.tag}-ASM-1`)).toBe(1);
    expect(await taskHistory(e.trust, referralId)).toEqual(['accepted', 'contacted', 'assessment-completed']);
  }, 90_000);

  it('withdrawal while the GP is down: closed, Task cancelled at the trust, queued updates superseded', async () => {
    const p = person('F');
    await e.gp.stop();
    const sr = trustReferral(p);
    const { srId, referralId } = await refer(sr);
    await agreeSharing(referralId, { statusUpdates: true, withReferrer: true, withGp: true });
    await journey(referralId, p.tag, 2);
    // The trust has everything so far; the GP's head has failed often enough that its circuit breaker
    // is open (no attempt in flight while it probes).
    await waitFor(
      async () => {
        const rows = await exchanges(referralId);
        const trust = rows.filter((x) => x.partner_id === TRUST.id);
        const gpHead = rows.find((x) => x.partner_id === GP.id);
        return (
          trust.length > 0 &&
          trust.every((x) => x.status === 'delivered') &&
          gpHead?.status === 'failed' &&
          gpHead.attempts >= 5
        );
      },
      { what: 'trust delivered, GP failing', timeoutMs: 30_000, intervalMs: 100 },
    );

    const res = await e.asTrust('POST', '/fhir/ServiceRequest', { ...sr, status: 'revoked' });
    await json(res, 'withdrawal');
    const closed = await navigator<{ referrals: { id: string }[] }>(
      'GET',
      '/api/v1/referrals?status=closed',
      undefined,
      'closed referrals',
    );
    expect(closed.referrals.map((r) => r.id)).toContain(referralId);
    const open = await navigator<{ referrals: { id: string }[] }>(
      'GET',
      '/api/v1/referrals?status=open',
      undefined,
      'open referrals',
    );
    expect(open.referrals.map((r) => r.id)).not.toContain(referralId);

    const withdrawal = `${referralId}-withdrawn`;
    let rows = await exchanges(referralId);
    const gpRows = rows.filter((x) => x.partner_id === GP.id);
    expect(gpRows.filter((x) => x.source_id !== withdrawal).map((x) => x.status)).toEqual(
      gpRows.filter((x) => x.source_id !== withdrawal).map(() => 'superseded'),
    );
    expect(gpRows.filter((x) => x.source_id === withdrawal)).toHaveLength(1);

    const trustTask = await waitFor(
      async () => {
        const [t] = await e.trust.search<Task>('Task', { identifier: ident('referral-task', referralId) });
        return t?.status === 'cancelled' ? t : undefined;
      },
      { what: 'Task cancelled at the trust', timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(trustTask.businessStatus?.coding?.[0]?.code).toBe('withdrawn');
    // The trust reads the same from navbridge.
    expect((await taskFor(srId)).status).toBe('cancelled');

    // The GP comes back (empty): it hears of the referral once, and only that it was withdrawn.
    await e.gp.start();
    rows = await settled(referralId, 60_000);
    expect(rows.filter((x) => x.partner_id === TRUST.id && x.status !== 'delivered')).toEqual([]);
    expect(
      rows.filter((x) => x.partner_id === GP.id && x.status === 'delivered').map((x) => x.source_id),
    ).toEqual([withdrawal]);
    const docs = await e.gp.search<Bundle>('Bundle');
    expect(docs).toHaveLength(1);
    expect(sectionTitles(docs[0]!)).toEqual(['Referral status']);
    expect(JSON.stringify(docs[0])).toContain('cancelled');
    const writes = (await e.gp.requests()).filter((r) => r.method !== 'GET');
    expect(writes.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /Bundle']);
    expect(await taskHistory(e.trust, referralId)).toEqual(['accepted', 'contacted', 'withdrawn']);
  }, 90_000);

  it('afterwards: every exchange delivered, superseded or visibly not sent; none dead; no Patient or Organization written', async () => {
    const { rows } = await e.t.sql.query(
      `SELECT direction, status, count(*)::int AS n FROM exchanges GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    for (const r of rows) {
      if (r.direction === 'inbound') expect(r.status).toBe('received');
      else
        expect(['delivered', 'superseded', 'withheld-no-consent', 'no-route'], r.status).toContain(r.status);
    }
    for (const server of [e.trust, e.gp]) {
      expect(await server.search('Patient')).toEqual([]);
      expect(await server.search('Organization')).toEqual([]);
    }
  });
});
