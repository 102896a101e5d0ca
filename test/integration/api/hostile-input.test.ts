// Hostile input on every endpoint family (issue 9 §2): each is a 4xx OperationOutcome with a stable
// code and, where there is one, the path — never a 500, never the input echoed — and the service goes
// on answering. Bodies go through src/api/body.ts (the one JSON reader) before any other work.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Harness, referral, SITE_X_KEY, startHarness } from '../navigator-api/harness.js';

const FHIR = 'application/fhir+json';
const MARKER = 'hostile-9434765919';

interface Target {
  name: string;
  path: string;
  type: string;
  headers: () => Promise<Record<string, string>>;
}

describe('hostile input', () => {
  let h: Harness;
  let targets: Target[];

  beforeAll(async () => {
    h = await startHarness();
    const partner = async () => ({ Authorization: `Bearer ${await h.sign(h.partnerA)}` });
    targets = [
      {
        name: 'navigator records',
        path: '/api/v1/records',
        type: 'application/json',
        headers: async () => ({ 'X-API-Key': SITE_X_KEY }),
      },
      {
        name: 'admin replay',
        path: '/admin/dead-letters/replay',
        type: 'application/json',
        headers: async () => ({ Authorization: `Bearer ${ADMIN_TOKEN}` }),
      },
      { name: 'FHIR transaction', path: '/fhir', type: FHIR, headers: partner },
      { name: 'FHIR ServiceRequest', path: '/fhir/ServiceRequest', type: FHIR, headers: partner },
      {
        name: 'BaRS $process-message',
        path: '/fhir/$process-message',
        type: FHIR,
        headers: async () => ({
          ...(await partner()),
          'X-Request-Id': randomUUID(),
          'X-Correlation-Id': randomUUID(),
        }),
      },
    ];
  });
  afterAll(async () => h?.close());

  const post = async (t: Target, body: string | Buffer, extra: Record<string, string> = {}) =>
    request(h.app)
      .post(t.path)
      .set(await t.headers())
      .set({ 'Content-Type': t.type, ...extra })
      // Bytes as they are (superagent would serialise a Buffer as JSON).
      .serialize((b: unknown) => b as string)
      .send(body);

  /** A 4xx OperationOutcome with this code, none of the input in it. */
  function refused(res: request.Response, status: number, code: string, expression?: string): void {
    expect({ status: res.status, type: res.body.resourceType }).toEqual({ status, type: 'OperationOutcome' });
    const codes = res.body.issue.map(
      (i: { details?: { coding?: { code?: string }[] } }) => i.details?.coding?.[0]?.code,
    );
    expect(codes).toContain(code);
    if (expression)
      expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain(
        expression,
      );
    expect(res.text).not.toContain(MARKER);
  }

  it('refuses charsets other than UTF-8 and unknown content encodings 415; takes gzip', async () => {
    for (const t of targets) {
      refused(
        await post(t, `{"x":"${MARKER}"}`, { 'Content-Type': `${t.type}; charset=iso-8859-1` }),
        415,
        'REC_UNSUPPORTED_MEDIA_TYPE',
        'Content-Type',
      );
      refused(
        await post(t, `{"x":"${MARKER}"}`, { 'Content-Encoding': 'compress' }),
        415,
        'REC_UNSUPPORTED_MEDIA_TYPE',
        'Content-Encoding',
      );
      refused(
        await post(t, `{"x":"${MARKER}"}`, { 'Content-Type': 'text/plain' }),
        415,
        'REC_UNSUPPORTED_MEDIA_TYPE',
      );
      // Not gzip at all, though it says so.
      refused(
        await post(t, `{"x":"${MARKER}"}`, { 'Content-Encoding': 'gzip' }),
        400,
        'REC_BAD_REQUEST',
        'Content-Encoding',
      );
    }
    // A gzip body is read like any other (the referral is refused on its merits, not its encoding).
    const ref = referral('leeds-north', {
      referralDate: '2025-03-07',
      receivedAt: '2025-03-07T10:00:00+00:00',
    });
    const res = await post(targets[0]!, gzipSync(JSON.stringify({ recordType: 'referral', record: ref })), {
      'Content-Encoding': 'gzip',
    });
    expect(res.status).toBe(202);
  });

  it('refuses bytes that are not UTF-8 and JSON that is not well formed 400, without quoting them', async () => {
    for (const t of targets) {
      refused(
        await post(
          t,
          Buffer.concat([Buffer.from(`{"x":"${MARKER}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
        ),
        400,
        'REC_BAD_REQUEST',
      );
      refused(await post(t, `{"x": "${MARKER}", `), 400, 'REC_BAD_REQUEST');
    }
  });

  it('refuses nesting 10,000 deep, 200,000 empty identifiers and over-long strings 413 before parsing work', async () => {
    for (const t of targets) {
      refused(await post(t, `${'['.repeat(10_000)}"${MARKER}"${']'.repeat(10_000)}`), 413, 'REC_TOO_LARGE');
      refused(await post(t, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`), 413, 'REC_TOO_LARGE');
      const identifiers = `{"resourceType":"ServiceRequest","identifier":[${Array(200_000).fill('{}').join(',')}]}`;
      refused(await post(t, identifiers), 413, 'REC_TOO_LARGE', 'identifier');
      refused(
        await post(t, JSON.stringify({ resourceType: 'Bundle', note: MARKER + 'x'.repeat(300_000) })),
        413,
        'REC_TOO_LARGE',
        'note',
      );
    }
  });

  it('refuses __proto__ and constructor members as unknown fields at their paths (not dropped)', async () => {
    for (const t of targets) {
      refused(
        await post(
          t,
          `{"resourceType":"Bundle","entry":[{"resource":{"__proto__":{"polluted":"${MARKER}"}}}]}`,
        ),
        400,
        'REC_BAD_REQUEST',
        'entry[0].resource.__proto__',
      );
      refused(
        await post(t, `{"resourceType":"Bundle","constructor":{"prototype":{"polluted":"${MARKER}"}}}`),
        400,
        'REC_BAD_REQUEST',
        'constructor',
      );
      refused(
        await post(t, `{"resourceType":"Bundle","constructor":"${MARKER}"}`),
        400,
        'REC_BAD_REQUEST',
        'constructor',
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses lone surrogates and control characters in strings and keys 400 at their paths', async () => {
    for (const t of targets) {
      refused(
        await post(t, `{"resourceType":"ServiceRequest","note":[{"text":"${MARKER}\\ud800"}]}`),
        400,
        'REC_BAD_REQUEST',
        'note[0].text',
      );
      refused(
        await post(t, `{"resourceType":"ServiceRequest","note":[{"text":"${MARKER}\\u0000"}]}`),
        400,
        'REC_BAD_REQUEST',
        'note[0].text',
      );
      refused(
        await post(t, `{"resourceType":"ServiceRequest","no\\u0007te":"${MARKER}"}`),
        400,
        'REC_BAD_REQUEST',
      );
    }
  });

  it('keys that are Object.prototype names are unknown fields, not crashes', async () => {
    for (const t of targets)
      for (const key of ['toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
        const res = await post(t, JSON.stringify({ resourceType: 'ServiceRequest', [key]: MARKER }));
        expect({ t: t.name, key, status: res.status < 500 && res.status >= 400 }).toEqual({
          t: t.name,
          key,
          status: true,
        });
        expect(res.text).not.toContain(MARKER);
      }
  });

  it('refuses NUL and control characters in path ids and malformed percent-encoding 400; 404s never echo the path', async () => {
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const partner = { Authorization: `Bearer ${await h.sign(h.partnerA)}` };
    const site = { 'X-API-Key': SITE_X_KEY };
    const paths: [string, Record<string, string>][] = [
      ['/api/v1/referrals/REF%00-1', site],
      ['/api/v1/referrals/REF%1B-1', site],
      ['/api/v1/referrals?site=%00', site],
      ['/api/v1/exchanges/%E0%A4%A', site],
      ['/admin/exchanges/%ZZ', admin],
      ['/admin/dead-letters/%ED%A0%80', admin],
      ['/fhir/Task/%00', partner],
      ['/fhir/ServiceRequest/%E0%A4%A', partner],
      ['/fhir/Task?focus=ServiceRequest/%00', partner],
    ];
    for (const [path, headers] of paths) {
      const res = await request(h.app).get(path).set(headers);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    for (const [path, headers] of [
      [`/nowhere/${MARKER}`, {}],
      [`/api/v1/referrals/${MARKER}`, site],
      [`/fhir/Task/${MARKER}`, partner],
      [`/admin/exchanges/${MARKER}`, admin],
    ] as const) {
      const res = await request(h.app).get(path).set(headers);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain(MARKER);
    }
  });

  it('still answers after all of it', async () => {
    expect((await request(h.app).get('/health')).status).toBe(200);
  });
});

describe('response headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('every answer — data, errors, open endpoints — is no-store, nosniff, framed by nobody', async () => {
    const answers = [
      await request(h.app).get('/api/v1/referrals').set('X-API-Key', SITE_X_KEY),
      await request(h.app).get('/api/v1/referrals'),
      await request(h.app).get('/fhir/metadata'),
      await request(h.app).get('/nowhere'),
      await request(h.app).get('/admin/dead-letters').set('Authorization', `Bearer ${ADMIN_TOKEN}`),
      await request(h.app)
        .get(`/fhir/Task?focus=ServiceRequest/x`)
        .set('Authorization', `Bearer ${await h.sign(h.partnerA)}`),
    ];
    for (const res of answers) {
      expect(res.get('Cache-Control')).toBe('no-store');
      expect(res.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.get('Content-Security-Policy')).toMatch(/frame-ancestors 'none'/);
      expect(res.get('X-Powered-By')).toBeUndefined();
    }
  });
});
