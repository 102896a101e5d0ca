// The authorisation matrix: every endpoint × every caller type (none, invalid, partner A, partner B,
// site X, site Y, admin) gets the expected 2xx/401/403/404, and no response ever carries another
// tenant's referral ids or patient data. Partners post a Gravity SDOH ServiceRequest and a BaRS
// booking-request from a set of examples: run by matrix.test.ts with navbridge's fixtures and by
// test/conformance/real-examples.test.ts with the real examples.
import { randomUUID } from 'node:crypto';
import type { Patient } from 'fhir/r4.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unseal } from '../../support/db.js';
import {
  deadExchange as insertDeadExchange,
  insertPersons,
  outboundExchange,
} from '../../support/exchanges.js';
import type { FhirExamples } from '../../support/fhir-examples.js';
import { serviceRequestIdOf } from '../../support/fixtures.js';
import { nhsNumber } from '../../support/people.js';
import {
  ADMIN_TOKEN,
  event,
  type Harness,
  referral,
  SITE_X_KEY,
  SITE_Y_KEY,
  startHarness,
} from '../navigator-api/harness.js';

type Caller = 'none' | 'invalid' | 'partnerA' | 'partnerB' | 'siteX' | 'siteY' | 'admin';
const CALLERS: Caller[] = ['none', 'invalid', 'partnerA', 'partnerB', 'siteX', 'siteY', 'admin'];
/** Tenants: X and Y are the sites' navigator referrals; A and B the partners' FHIR referrals (A's at X's site, B's at Y's). */
type Tenant = 'X' | 'Y' | 'A' | 'B';
const VISIBLE: Record<Caller, Tenant[]> = {
  none: [],
  invalid: [],
  partnerA: ['A'],
  partnerB: ['B'],
  siteX: ['X', 'A'],
  siteY: ['Y', 'B'],
  admin: ['X', 'Y', 'A', 'B'],
};
const FHIR = 'application/fhir+json';

interface Endpoint {
  name: string;
  call(
    r: ReturnType<typeof request>,
    headers: Record<string, string>,
    caller: Caller,
  ): Promise<request.Response>;
  expect: Partial<Record<Caller, number>>;
}

export function authorisationMatrixSuite(ex: FhirExamples): void {
  describe(`authorisation matrix (${ex.source})`, () => {
    let h: Harness;
    const markers: Record<Tenant, string[]> = { X: [], Y: [], A: [], B: [] };
    const ids: Record<string, string> = {};
    const headers: Partial<Record<Caller, () => Promise<Record<string, string>>>> = {};

    const patient = (tenant: 'A' | 'B'): Patient => {
      const nhs = nhsNumber();
      const family = `Partner${tenant}Family${randomUUID().slice(0, 6)}`;
      markers[tenant].push(nhs, family);
      return {
        resourceType: 'Patient',
        id: `pat-${tenant.toLowerCase()}`,
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }],
        name: [{ family, given: ['Sam'] }],
        birthDate: '1987-02-20',
      };
    };
    const transaction = (tenant: 'A' | 'B') => {
      const sr = ex.gravity[0]!.serviceRequest();
      const p = patient(tenant);
      sr.id = `sr-${tenant.toLowerCase()}-${randomUUID().slice(0, 8)}`;
      sr.subject = { reference: `Patient/${p.id}` };
      return {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: `http://partner.example/fhir/ServiceRequest/${sr.id}`,
            resource: sr,
            request: { method: 'POST', url: 'ServiceRequest' },
          },
          {
            fullUrl: `http://partner.example/fhir/Patient/${p.id}`,
            resource: p,
            request: { method: 'PUT', url: `Patient/${p.id}` },
          },
        ],
      };
    };

    async function deadExchange(): Promise<string> {
      // A sequence of its own (partner, person), so this exchange is the head and can be claimed.
      const personId = (await insertPersons(h.t))[0]!;
      return insertDeadExchange(
        h.t.db,
        outboundExchange(personId, {
          partnerId: 'matrix-partner',
          referralId: ids.refX!,
          payload: { resourceType: 'Bundle', type: 'transaction' },
        }),
      );
    }

    beforeAll(async () => {
      h = await startHarness();
      headers.none = async () => ({});
      headers.invalid = async () => ({ Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
      headers.partnerA = async () => ({ Authorization: `Bearer ${await h.sign(h.partnerA)}` });
      headers.partnerB = async () => ({ Authorization: `Bearer ${await h.sign(h.partnerB)}` });
      headers.siteX = async () => ({ 'X-API-Key': SITE_X_KEY });
      headers.siteY = async () => ({ 'X-API-Key': SITE_Y_KEY });
      headers.admin = async () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` });

      // Each site's own navigator referral, and each partner's FHIR referral.
      for (const [tenant, site, caller] of [
        ['X', 'leeds-north', 'siteX'],
        ['Y', 'cardiff-vale', 'siteY'],
      ] as const) {
        const ref = referral(site, { referralDate: '2025-03-07', receivedAt: '2025-03-07T10:00:00+00:00' });
        const res = await request(h.app)
          .post('/api/v1/records')
          .set(await headers[caller]!())
          .send({ recordType: 'referral', record: ref });
        expect(res.status).toBe(202);
        ids[`ref${tenant}`] = ref.id;
        ids[`ex${tenant}`] = res.body.exchanges[0].id;
        markers[tenant].push(ref.id, ref.person.nhsNumber!, ref.person.name!.family!);
      }
      for (const tenant of ['A', 'B'] as const) {
        const res = await request(h.app)
          .post('/fhir')
          .set(await headers[tenant === 'A' ? 'partnerA' : 'partnerB']!())
          .set('Content-Type', FHIR)
          .send(JSON.stringify(transaction(tenant)));
        expect(res.status).toBe(201);
        const srId = serviceRequestIdOf(res.get('Location'));
        ids[`sr${tenant}`] = srId;
        ids[`vid${tenant}`] = /\/_history\/([^/]+)$/.exec(res.get('Location') ?? '')?.[1] ?? '';
        markers[tenant].push(srId);
        const { rows } = await h.t.sql.query(
          'SELECT site, referral_id FROM referrals WHERE source_partner_id = $1',
          [tenant === 'A' ? 'gp-a' : 'gp-b'],
        );
        expect(rows.map((r) => r.site)).toEqual([tenant === 'A' ? 'leeds-north' : 'cardiff-vale']);
        markers[tenant].push(rows[0].referral_id);
      }
      ids.nhsA = markers.A[0]!;
      const tasks = await request(h.app)
        .get(`/fhir/Task?focus=ServiceRequest/${ids.srA}`)
        .set(await headers.partnerA!());
      ids.taskA = tasks.body.entry[0].resource.id;
      ids.taskVidA = tasks.body.entry[0].resource.meta.versionId;
      // Every tenant has ids and patient data to look for.
      for (const t of ['X', 'Y', 'A', 'B'] as Tenant[]) expect(markers[t].length).toBeGreaterThanOrEqual(3);
      ids.dead1 = await deadExchange();
      ids.dead2 = await deadExchange();
      h.clock.now = new Date('2025-03-10T15:00:00Z');
    });
    afterAll(async () => h?.close());

    const anon = { none: 401, invalid: 401 } as const;
    const siteOnly = { ...anon, partnerA: 403, partnerB: 403 } as const;
    const adminOnly = { ...anon, partnerA: 403, partnerB: 403, siteX: 403, siteY: 403 } as const;
    const partnerOnly = { ...anon, siteX: 403, siteY: 403, admin: 403 } as const;
    const fhirPost =
      (path: string, body: (caller: Caller) => unknown): Endpoint['call'] =>
      (r, hd, caller) =>
        r
          .post(path)
          .set(hd)
          .set({ 'Content-Type': FHIR, 'X-Request-Id': randomUUID(), 'X-Correlation-Id': randomUUID() })
          .send(JSON.stringify(body(caller)));
    const open = Object.fromEntries(CALLERS.map((c) => [c, 200]));

    const ENDPOINTS: Endpoint[] = [
      { name: 'GET /health', call: (r, hd) => r.get('/health').set(hd), expect: open },
      { name: 'GET /api/openapi.json', call: (r, hd) => r.get('/api/openapi.json').set(hd), expect: open },
      { name: 'GET /fhir/metadata', call: (r, hd) => r.get('/fhir/metadata').set(hd), expect: open },
      {
        name: 'GET /api/v1/referrals',
        call: (r, hd) => r.get('/api/v1/referrals').set(hd),
        expect: { ...siteOnly, siteX: 200, siteY: 200, admin: 200 },
      },
      {
        name: 'GET /api/v1/referrals/{X}',
        call: (r, hd) => r.get(`/api/v1/referrals/${ids.refX}`).set(hd),
        expect: { ...siteOnly, siteX: 200, siteY: 404, admin: 200 },
      },
      {
        name: 'GET /api/v1/referrals/{Y}',
        call: (r, hd) => r.get(`/api/v1/referrals/${ids.refY}`).set(hd),
        expect: { ...siteOnly, siteX: 404, siteY: 200, admin: 200 },
      },
      {
        name: 'GET /api/v1/exchanges/{X}',
        call: (r, hd) => r.get(`/api/v1/exchanges/${ids.exX}`).set(hd),
        expect: { ...siteOnly, siteX: 200, siteY: 404, admin: 200 },
      },
      {
        name: 'POST /api/v1/records (event on X)',
        call: (r, hd) =>
          r
            .post('/api/v1/records')
            .set(hd)
            .send({
              recordType: 'event',
              record: {
                ...event('leeds-north', ids.refX!, 'contacted', '2025-03-10T12:00:00Z', { method: 'phone' }),
                id: 'EV-matrix-1',
              },
            }),
        expect: { ...siteOnly, siteX: 202, siteY: 403, admin: 202 },
      },
      {
        name: 'GET /admin/dead-letters',
        call: (r, hd) => r.get('/admin/dead-letters').set(hd),
        expect: { ...adminOnly, admin: 200 },
      },
      {
        name: 'GET /admin/exchanges/{X}',
        call: (r, hd) => r.get(`/admin/exchanges/${ids.exX}`).set(hd),
        expect: { ...adminOnly, admin: 200 },
      },
      {
        name: 'POST /admin/dead-letters/{id}/replay',
        call: (r, hd) => r.post(`/admin/dead-letters/${ids.dead1}/replay`).set(hd).send({}),
        expect: { ...adminOnly, admin: 200 },
      },
      {
        name: 'POST /admin/dead-letters/replay',
        call: (r, hd) =>
          r
            .post('/admin/dead-letters/replay')
            .set(hd)
            .send({ filter: { partner: 'nobody' } }),
        expect: { ...adminOnly, admin: 200 },
      },
      {
        name: 'POST /admin/dead-letters/{id}/discard',
        call: (r, hd) =>
          r.post(`/admin/dead-letters/${ids.dead2}/discard`).set(hd).send({ reason: 'matrix' }),
        expect: { ...adminOnly, admin: 200 },
      },
      {
        name: 'POST /fhir (transaction)',
        // Each partner posts a referral of its own (its patient's data is its own).
        call: fhirPost('/fhir', (caller) => transaction(caller === 'partnerB' ? 'B' : 'A')),
        expect: { ...partnerOnly, partnerA: 201, partnerB: 201 },
      },
      {
        name: 'POST /fhir/ServiceRequest (subject not in the request)',
        call: fhirPost('/fhir/ServiceRequest', () => ex.gravity[0]!.serviceRequest()),
        expect: { ...partnerOnly, partnerA: 422, partnerB: 422 },
      },
      {
        name: 'POST /fhir/$process-message (booking-request)',
        call: fhirPost('/fhir/$process-message', () => ex.bars.bookingRequest()),
        expect: { ...partnerOnly, partnerA: 422, partnerB: 422 },
      },
      {
        name: 'GET /fhir/ServiceRequest/{A}',
        call: (r, hd) => r.get(`/fhir/ServiceRequest/${ids.srA}`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 404 },
      },
      {
        name: 'GET /fhir/ServiceRequest/{A}/_history',
        call: (r, hd) => r.get(`/fhir/ServiceRequest/${ids.srA}/_history`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 404 },
      },
      {
        name: 'GET /fhir/ServiceRequest/{A}/_history/{vid}',
        call: (r, hd) => r.get(`/fhir/ServiceRequest/${ids.srA}/_history/${ids.vidA}`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 404 },
      },
      {
        name: 'GET /fhir/Task/{A}/_history',
        call: (r, hd) => r.get(`/fhir/Task/${ids.taskA}/_history`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 404 },
      },
      {
        name: 'GET /fhir/Task/{A}/_history/{vid}',
        call: (r, hd) => r.get(`/fhir/Task/${ids.taskA}/_history/${ids.taskVidA}`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 404 },
      },
      {
        name: 'GET /fhir/ServiceRequest?patient:identifier={A}',
        call: (r, hd) =>
          r
            .get(`/fhir/ServiceRequest?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|${ids.nhsA}`)
            .set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 200 },
      },
      {
        name: 'GET /fhir/MessageDefinition',
        call: (r, hd) => r.get('/fhir/MessageDefinition').set(hd),
        expect: open,
      },
      {
        name: 'GET /fhir/Task?focus={A}',
        call: (r, hd) => r.get(`/fhir/Task?focus=ServiceRequest/${ids.srA}`).set(hd),
        expect: { ...partnerOnly, partnerA: 200, partnerB: 200 },
      },
    ];

    for (const ep of ENDPOINTS) {
      it(ep.name, async () => {
        for (const caller of CALLERS) {
          const res = await ep.call(request(h.app), await headers[caller]!(), caller);
          const want = ep.expect[caller];
          expect({ caller, status: res.status }).toEqual({ caller, status: want });
          if (res.status === 401) expect(res.get('WWW-Authenticate')).toMatch(/^Bearer realm="navbridge"/);
          const text = `${res.text ?? ''}${JSON.stringify(res.headers)}`;
          // An id the caller put in its own request may be echoed (e.g. a searchset's self link).
          const asked = (res as unknown as { req?: { path?: string } }).req?.path ?? '';
          for (const tenant of ['X', 'Y', 'A', 'B'] as Tenant[]) {
            if (VISIBLE[caller].includes(tenant)) continue;
            for (const m of markers[tenant].filter((x) => !asked.includes(x)))
              expect({ caller, tenant, leaked: text.includes(m) }).toEqual({ caller, tenant, leaked: false });
          }
        }
      });
    }

    it('the ServiceRequest search by patient:identifier gives A its own referral and B nothing', async () => {
      const search = async (caller: Caller, token: string) =>
        request(h.app)
          .get(`/fhir/ServiceRequest?patient:identifier=${encodeURIComponent(token)}`)
          .set(await headers[caller]!());
      const a = await search('partnerA', `https://fhir.nhs.uk/Id/nhs-number|${ids.nhsA}`);
      expect(a.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toContain(ids.srA);
      // The tolerant reader's http:// system is the same identifier.
      const http = await search('partnerA', `http://fhir.nhs.uk/Id/nhs-number|${ids.nhsA}`);
      expect(http.body.total).toBe(a.body.total);
      expect((await search('partnerB', `https://fhir.nhs.uk/Id/nhs-number|${ids.nhsA}`)).body.total).toBe(0);
      const bad = await search('partnerA', ids.nhsA!);
      expect(bad.status).toBe(400);
      expect(bad.body.issue[0].expression).toEqual(['patient:identifier']);
      expect(JSON.stringify(bad.body)).not.toContain(ids.nhsA);
    });

    it('the Task search gives partner B nothing of partner A’s, and A its own Task', async () => {
      const a = await request(h.app)
        .get(`/fhir/Task?focus=ServiceRequest/${ids.srA}`)
        .set(await headers.partnerA!());
      expect(a.body.total).toBe(1);
      const taskId = a.body.entry[0].resource.id as string;
      const b = await request(h.app)
        .get(`/fhir/Task?focus=ServiceRequest/${ids.srA}`)
        .set(await headers.partnerB!());
      expect(b.body.total).toBe(0);
      expect(
        (
          await request(h.app)
            .get(`/fhir/Task/${taskId}`)
            .set(await headers.partnerA!())
        ).status,
      ).toBe(200);
      expect(
        (
          await request(h.app)
            .get(`/fhir/Task/${taskId}`)
            .set(await headers.partnerB!())
        ).status,
      ).toBe(404);
      expect(
        (
          await request(h.app)
            .get(`/fhir/Task/${taskId}`)
            .set(await headers.siteX!())
        ).status,
      ).toBe(403);
    });

    it('partner reads × consent state: no objection, a later objection, and delivered before it', async () => {
      const { rows } = await h.t.sql.query(
        `SELECT r.payload FROM records r JOIN referrals f ON f.site = r.site AND f.referral_id = r.source_id
          WHERE f.source_partner_id = 'gp-a' AND r.record_type = 'referral' ORDER BY r.version DESC LIMIT 1`,
      );
      const stored = await unseal<{ id: string; version: number }>(rows[0].payload, 'records.payload');
      const taskOf = async () =>
        (
          await request(h.app)
            .get(`/fhir/Task?focus=ServiceRequest/${ids.srA}`)
            .set(await headers.partnerA!())
        ).body.entry?.[0]?.resource?.id as string | undefined;
      const taskId = await taskOf();
      expect(taskId).toBeDefined();
      const reads = (): [string, (c: Caller) => Promise<request.Response>][] => [
        [
          'GET /fhir/ServiceRequest/{A}',
          async (c) =>
            request(h.app)
              .get(`/fhir/ServiceRequest/${ids.srA}`)
              .set(await headers[c]!()),
        ],
        [
          'GET /fhir/Task/{A}',
          async (c) =>
            request(h.app)
              .get(`/fhir/Task/${taskId}`)
              .set(await headers[c]!()),
        ],
        [
          'GET /fhir/ServiceRequest/{A}/_history',
          async (c) =>
            request(h.app)
              .get(`/fhir/ServiceRequest/${ids.srA}/_history`)
              .set(await headers[c]!()),
        ],
        [
          'GET /fhir/Task/{A}/_history/{vid}',
          async (c) =>
            request(h.app)
              .get(`/fhir/Task/${taskId}/_history/${ids.taskVidA}`)
              .set(await headers[c]!()),
        ],
      ];
      const table = async () => {
        const out: Record<string, Record<string, number>> = {};
        for (const [name, call] of reads()) {
          out[name] = {};
          for (const c of ['partnerA', 'partnerB', 'siteX', 'admin'] as Caller[])
            out[name][c] = (await call(c)).status;
        }
        return out;
      };
      const others = { partnerB: 404, siteX: 403, admin: 403 };
      // 1. No objection, not yet delivered: A reads its own.
      expect(await table()).toEqual({
        'GET /fhir/ServiceRequest/{A}': { partnerA: 200, ...others },
        'GET /fhir/Task/{A}': { partnerA: 200, ...others },
        'GET /fhir/ServiceRequest/{A}/_history': { partnerA: 200, ...others },
        'GET /fhir/Task/{A}/_history/{vid}': { partnerA: 200, ...others },
      });
      // 2. The person objects to status updates: what was not delivered is hidden from A too.
      const objected = await request(h.app)
        .post('/api/v1/records')
        .set(await headers.siteX!())
        .send({
          recordType: 'referral',
          record: { ...stored, version: stored.version + 1, sharing: { statusUpdates: false } },
        });
      expect(objected.status).toBe(202);
      expect(await table()).toEqual({
        'GET /fhir/ServiceRequest/{A}': { partnerA: 404, ...others },
        'GET /fhir/Task/{A}': { partnerA: 404, ...others },
        'GET /fhir/ServiceRequest/{A}/_history': { partnerA: 404, ...others },
        'GET /fhir/Task/{A}/_history/{vid}': { partnerA: 404, ...others },
      });
      expect(await taskOf()).toBeUndefined();
      // 3. Delivered before the objection: A has it already and reads it; nobody else does.
      await h.t.sql.query(
        `UPDATE exchanges SET status = 'delivered' WHERE direction = 'outbound' AND partner_id = 'gp-a'
            AND referral_id = (SELECT referral_id FROM referrals WHERE source_partner_id = 'gp-a' LIMIT 1)
            AND status = 'pending'`,
      );
      expect(await table()).toEqual({
        'GET /fhir/ServiceRequest/{A}': { partnerA: 200, ...others },
        'GET /fhir/Task/{A}': { partnerA: 200, ...others },
        'GET /fhir/ServiceRequest/{A}/_history': { partnerA: 200, ...others },
        'GET /fhir/Task/{A}/_history/{vid}': { partnerA: 200, ...others },
      });
    });

    it('each site’s list holds only its own site’s referrals (X sees partner A’s referral at its site)', async () => {
      const x = await request(h.app)
        .get('/api/v1/referrals')
        .set(await headers.siteX!());
      const listed = x.body.referrals.map((r: { id: string }) => r.id);
      expect(listed).toContain(ids.refX);
      expect(x.body.referrals.every((r: { site: string }) => r.site === 'leeds-north')).toBe(true);
      expect(
        x.body.referrals.some((r: { sourcePartnerId: string | null }) => r.sourcePartnerId === 'gp-a'),
      ).toBe(true);
    });
  });
}
