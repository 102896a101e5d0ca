// The access log and the error serializer, read as JSON lines from the app's real pino logger: one
// line per request with method, route template, status, duration, caller, request and correlation ids
// and the stable error code; never the query value, the body or patient data; a refused JWT names the
// check that failed (in the log only: the answer is the same for every reason).
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, serializeError } from '../../../src/logging/index.js';
import { ADMIN_TOKEN, type Harness, referral, SITE_X_KEY, startHarness } from '../navigator-api/harness.js';

interface Line {
  level: number;
  event?: string;
  msg?: string;
  [k: string]: unknown;
}

describe('access log', () => {
  let h: Harness;
  const text: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text.push(chunk.toString());
      cb();
    },
  });
  const lines = (): Line[] =>
    text
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  const requestLines = () => lines().filter((l) => l.event === 'request');

  beforeAll(async () => {
    h = await startHarness({ logger: createLogger('info', sink) });
  });
  afterAll(async () => h?.close());

  it('logs method, route template, status, duration, caller and ids; never query values', async () => {
    text.length = 0;
    const res = await request(h.app)
      .get('/api/v1/referrals?status=open&limit=987')
      .set('X-API-Key', SITE_X_KEY)
      .set('X-Request-Id', 'req-0001')
      .set('X-Correlation-Id', 'corr-0001');
    expect(res.status).toBe(200);
    const [line] = requestLines();
    expect(line).toMatchObject({
      level: 30,
      event: 'request',
      method: 'GET',
      route: '/api/v1/referrals',
      status: 200,
      caller: 'site:leeds-north:leeds-case-system',
      requestId: 'req-0001',
      correlationId: 'corr-0001',
      msg: 'GET /api/v1/referrals 200',
    });
    expect(typeof line?.ms).toBe('number');
    for (const q of ['status=open', 'limit', '987', SITE_X_KEY]) expect(text.join('')).not.toContain(q);
    // A query the endpoint refuses: the code is logged, the value is not.
    const refused = await request(h.app)
      .get('/api/v1/referrals?nhsNumber=9434765919')
      .set('X-API-Key', SITE_X_KEY);
    expect(refused.status).toBe(400);
    expect(requestLines()[1]).toMatchObject({ status: 400, errorCode: 'REC_BAD_REQUEST', level: 30 });
    expect(text.join('')).not.toContain('9434765919');
  });

  it('a route with an id logs its template; a refused record logs the error code and no data', async () => {
    text.length = 0;
    await request(h.app).get('/api/v1/referrals/REF-SECRET-ID').set('X-API-Key', SITE_X_KEY);
    const r = referral('leeds-north');
    const bad = { recordType: 'referral', record: { ...r, person: { ...r.person, birthDate: 'soon' } } };
    const res = await request(h.app)
      .post('/api/v1/records')
      .set('X-API-Key', SITE_X_KEY)
      .set('X-Request-Id', 'bad id with spaces')
      .send(bad);
    expect(res.status).toBe(400);
    const [read, refused] = requestLines();
    expect(read).toMatchObject({ route: '/api/v1/referrals/:id', status: 404, errorCode: 'REC_NOT_FOUND' });
    expect(refused).toMatchObject({
      method: 'POST',
      route: '/api/v1/records',
      status: 400,
      errorCode: 'REC_BAD_REQUEST',
    });
    // A caller's id that is not an id is replaced by one of ours.
    expect(refused?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const all = text.join('');
    for (const secret of ['REF-SECRET-ID', r.person.name.family, r.person.nhsNumber as string, 'soon'])
      expect(all).not.toContain(secret);
  });

  it('a refused JWT says in the log which check failed, and the caller only that it is not valid', async () => {
    text.length = 0;
    const p = h.partnerA;
    const tokens = {
      'expired:exp': await h.sign(p, {}, { expIn: -120 }),
      'claim-invalid:aud': await h.sign(p, { aud: 'https://elsewhere.example/fhir' }),
      'lifetime-too-long': await h.sign(p, {}, { expIn: 3600 }),
      'unknown-issuer': await h.sign({ ...h.stranger, clientId: 'nobody-we-know' }),
      'no-matching-key': await h.sign(h.stranger),
      'not-a-jwt': 'not-a-token',
    };
    const bodies = new Set<string>();
    for (const token of Object.values(tokens)) {
      const res = await request(h.app).get('/fhir/Task?focus=x').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      bodies.add(JSON.stringify(res.body));
    }
    expect(bodies.size).toBe(1);
    const refusals = requestLines().map((l) => [l.refusal, l.errorCode, l.level, l.route]);
    expect(refusals).toEqual(
      Object.keys(tokens).map((reason) => [reason, 'REC_UNAUTHORIZED', 40, '/fhir/*']),
    );
    const ok = await request(h.app).get('/admin/dead-letters').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(requestLines().at(-1)).toMatchObject({ caller: expect.stringMatching(/^admin:/), status: 200 });
    expect(text.join('')).not.toContain(ADMIN_TOKEN);
  });

  it('serializes errors with class, message, code and cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const err = new TypeError('store failed', { cause });
    expect(serializeError(err)).toMatchObject({
      type: 'TypeError',
      message: 'store failed',
      cause: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' },
    });
    class StoreError extends Error {}
    expect(serializeError(new StoreError('x'))).toMatchObject({ type: 'StoreError', message: 'x' });
    text.length = 0;
    createLogger('info', sink).error({ err }, 'failed');
    expect(lines()[0]?.err).toMatchObject({ type: 'TypeError', cause: { code: 'ECONNREFUSED' } });
  });
});
