#!/usr/bin/env node
// The bench's partner: a minimal FHIR receiver that answers at once, so it is never the bottleneck.
// Every POST is answered 200 (a transaction Bundle with a transaction-response whose entries carry a
// location and version, as navbridge's version-conditional writes expect; anything else with a small
// OperationOutcome-free JSON body). It keeps, per request, only the receipt time, the path and the
// X-Request-Id / X-Correlation-Id headers (never the body), plus the first `--keep` bodies for the
// bare-BullMQ baseline to post the same payloads. `GET …/metadata` answers the circuit's probe.
//
//   node scripts/bench/receiver.mjs --port 0   → prints {"ready":true,"port":N} on stdout
//   GET /_bench/receipts  POST /_bench/reset  GET /_bench/bodies  GET /_bench/count
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, keep: { type: 'string', default: '400' } },
});
const KEEP = Number(values.keep);
let receipts = [];
let bodies = [];
let serial = 0;
const now = () => performance.timeOrigin + performance.now();

function transactionResponse(bundle) {
  const entry = (bundle.entry ?? []).map((e) => {
    const type = e.resource?.resourceType ?? 'Resource';
    const id = `r${++serial}`;
    const created = e.request?.method === 'POST';
    return {
      response: {
        status: created ? '201 Created' : '200 OK',
        location: `${type}/${id}/_history/1`,
        etag: 'W/"1"',
      },
    };
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry };
}

function reply(res, status, body, req) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/fhir+json',
    'content-length': Buffer.byteLength(text),
    // A BaRS receiver echoes the sender's ids on every answer; without them navbridge takes the answer
    // for an intermediary's and sends the message again (src/delivery/partner-client.ts).
    ...(req?.headers['x-request-id'] ? { 'x-request-id': req.headers['x-request-id'] } : {}),
    ...(req?.headers['x-correlation-id'] ? { 'x-correlation-id': req.headers['x-correlation-id'] } : {}),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = req.url ?? '/';
    if (url.startsWith('/_bench/')) {
      if (url === '/_bench/receipts') return reply(res, 200, receipts);
      if (url === '/_bench/count') return reply(res, 200, { count: receipts.length });
      if (url === '/_bench/bodies') return reply(res, 200, bodies);
      if (url === '/_bench/reset') {
        receipts = [];
        bodies = [];
        return reply(res, 200, {});
      }
      return reply(res, 404, {});
    }
    if (req.method === 'GET') {
      if (url.endsWith('/metadata'))
        return reply(res, 200, {
          resourceType: 'CapabilityStatement',
          status: 'active',
          kind: 'instance',
          fhirVersion: '4.0.1',
          format: ['json'],
        });
      return reply(res, 200, { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });
    }
    const t = now();
    const text = Buffer.concat(chunks).toString('utf8');
    receipts.push({
      t,
      path: url,
      rid: String(req.headers['x-request-id'] ?? ''),
      cid: String(req.headers['x-correlation-id'] ?? ''),
    });
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return reply(
        res,
        400,
        { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure' }] },
        req,
      );
    }
    if (bodies.length < KEEP && body?.resourceType === 'Bundle') bodies.push({ path: url, body });
    if (body?.resourceType === 'Bundle' && body.type === 'transaction')
      return reply(res, 200, transactionResponse(body), req);
    return reply(res, 200, { resourceType: 'Bundle', type: 'message', entry: [] }, req);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
