// Load generation with autocannon: navigator records per person in order (each connection posts one
// person's records one after another, waiting for each answer), and BaRS $process-message referrals
// with a fresh signed JWT each. Every answer's time and accepted exchange ids are kept.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { paced } from './paced.mjs';
import { nhsNumberOf, personRecords, STEPS_PER_PERSON } from './records.mjs';
import { BARS, HERE } from './rig.mjs';

export const nowMs = () => performance.timeOrigin + performance.now();
const run = (opts) =>
  new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    inst.on('error', () => {});
  });

/** Figures of an autocannon result: latency percentiles (ms), answers by class, achieved rate. */
export function summarise(result) {
  const l = result.latency;
  // No answer at all within the run: its latencies are unknown, not 0.
  const answered = result.requests.total > 0;
  const ms = (v) => (answered ? v : Number.NaN);
  return {
    requests: result.requests.total,
    durationS: result.duration,
    ratePerS: result.requests.average,
    p50: ms(l.p50),
    p90: ms(l.p90),
    p99: ms(l.p99),
    max: ms(l.max),
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    s4xx: result['4xx'],
    s5xx: result['5xx'],
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * Posts records to POST /api/v1/records of `base`: `persons` people of the mix, `connections` at a
 * time (a connection keeps to one person until its records are done). `rate` (requests/s overall)
 * and `duration` (s) make it a steady load instead. `accepted` collects, per exchange sent, the
 * answer's time and its person and step.
 */
export async function postRecords({
  base,
  apiKey,
  tag,
  firstPerson = 0,
  persons,
  connections = 8,
  rate,
  duration,
  accepted,
  statuses,
}) {
  let next = firstPerson;
  const requests = Array.from({ length: STEPS_PER_PERSON }, (_, step) => ({
    method: 'POST',
    path: '/api/v1/records',
    setupRequest(req, context) {
      if (step === 0) {
        context.n = next++;
        context.records = personRecords(tag, context.n);
      }
      return { ...req, body: JSON.stringify(context.records[step]) };
    },
    onResponse(status, body, context) {
      const t = nowMs();
      statuses?.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 400 && process.env.BENCH_DEBUG) process.stderr.write(`${status} ${body.slice(0, 400)}\n`);
      if (status !== 202 || !accepted) return;
      try {
        for (const x of JSON.parse(body).exchanges ?? [])
          if (x.status === 'pending')
            accepted.set(x.id, { t, person: `${tag}-${context.n}`, step, partner: x.partnerId });
      } catch {}
    },
  }));
  const opts = {
    url: base,
    connections,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    requests,
    timeout: 30,
    ...(duration ? { duration } : { amount: persons * STEPS_PER_PERSON }),
    ...(rate ? { overallRate: rate } : {}),
  };
  return run(opts);
}

const BARS_TEMPLATE = readFileSync(
  path.join(HERE, '..', '..', 'test', 'fixtures', 'fhir', 'bars', 'servicerequest-request-new.json'),
  'utf8',
);
const PER_MESSAGE = new Set([
  'MessageHeader',
  'ServiceRequest',
  'Encounter',
  'CarePlan',
  'Patient',
  'Observation',
  'Flag',
  'Consent',
]);
const barsTemplate = (() => {
  const b = JSON.parse(BARS_TEMPLATE);
  b.id = '__BUNDLE_ID__';
  for (const e of b.entry) {
    if (e.resource.resourceType === 'MessageHeader')
      e.resource.source.endpoint = `http://fhir.nhs.uk/Id/dos-service-id|${BARS.dos}`;
    if (e.resource.resourceType === 'Patient')
      for (const i of e.resource.identifier ?? []) if (i.system?.endsWith('/nhs-number')) i.value = '__NHS__';
    // What is the person's and this message's own differs from message to message (validation answers
    // are remembered by content, src/fhir/validate.ts); the sender's organisations, practitioners,
    // location and service recur, as they do from one sender.
    if (PER_MESSAGE.has(e.resource.resourceType))
      e.resource.meta = { ...e.resource.meta, lastUpdated: '__NOW__' };
  }
  return JSON.stringify(b);
})();
/** The headers of one BaRS $process-message: FHIR JSON, a bearer JWT and BaRS's two ids, fresh each. */
const barsHeaders = (jwt) => ({
  'content-type': 'application/fhir+json',
  accept: 'application/fhir+json',
  authorization: `Bearer ${jwt ?? ''}`,
  'x-request-id': randomUUID(),
  'x-correlation-id': randomUUID(),
});
let barsSerial = 0;
/** A BaRS servicerequest-request (reason new) for a new person each time. */
export const barsMessage = () => {
  const n = barsSerial++;
  return barsTemplate
    .replace('__BUNDLE_ID__', randomUUID())
    .replace('__NHS__', nhsNumberOf(500_000 + n))
    .replaceAll('__NOW__', new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString());
};

/** POST /fhir/$process-message at `rate`/s for `duration` s, each with its own pre-signed JWT. */
export async function postBars({ base, token, rate, duration, connections = 10, statuses }) {
  const tokens = await Promise.all(
    Array.from({ length: Math.ceil(rate * duration * 1.1) + connections * 2 }, () => token()),
  );
  const requests = [
    {
      method: 'POST',
      path: '/fhir/$process-message',
      setupRequest(req) {
        return {
          ...req,
          headers: { ...req.headers, ...barsHeaders(tokens.pop()) },
          body: barsMessage(),
        };
      },
      onResponse(status) {
        statuses?.set(status, (statuses.get(status) ?? 0) + 1);
      },
    },
  ];
  return run({
    url: base,
    connections,
    requests,
    timeout: 30,
    duration,
    overallRate: rate,
  });
}

/**
 * Records at a paced `rate`/s (see paced.mjs) for `duration` s, each person's in order: a request
 * goes to the person whose last record was answered longest ago, else to a new person, so a person
 * never has two records in flight and the mix is kept person by person.
 */
export function pacedRecords({ base, apiKey, tag, rate, duration }) {
  const ready = [];
  let n = 0;
  const headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  return paced({
    base,
    rate,
    duration,
    next() {
      const p = ready.shift() ?? { n: n++, step: 0, records: personRecords(tag, n - 1) };
      return {
        path: '/api/v1/records',
        headers,
        body: JSON.stringify(p.records[p.step]),
        onAnswer(status) {
          p.step++;
          if (status === 202 && p.step < STEPS_PER_PERSON) ready.push(p);
        },
      };
    },
  });
}

/** BaRS referrals at a paced `rate`/s for `duration` s, each a new person with its own pre-signed JWT. */
export async function pacedBars({ base, token, rate, duration }) {
  const tokens = await Promise.all(Array.from({ length: Math.ceil(rate * duration) + 1 }, () => token()));
  return paced({
    base,
    rate,
    duration,
    next: () => ({
      path: '/fhir/$process-message',
      headers: barsHeaders(tokens.pop()),
      body: barsMessage(),
    }),
  });
}

/** GET /health every `intervalMs` until `stop()`: its latencies (ms). */
export function probeHealth(base, intervalMs = 20) {
  const lat = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
        await r.arrayBuffer();
        lat.push(performance.now() - t0);
      } catch {
        lat.push(10_000);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return async () => {
    on = false;
    await loop;
    return lat;
  };
}
