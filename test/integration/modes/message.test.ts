// message mode (BaRS $process-message) end to end against a real sandbox partner, reached through a
// transparent HTTP proxy that can lose a response after the partner has processed the request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, MessageHeader } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unseal } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { ADMIN } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { exchangeFor, type Harness, partner, referralFromTrust, startHarness } from './harness.js';

const ID = 'trust-bars';
const DOS_ID = '2000072489';

interface Proxy {
  url: string;
  /** The next request is forwarded and answered by the partner, but its response never reaches us. */
  loseNextResponse(): void;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  let lose = 0;
  const server = http.createServer((req, res) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          if (lose > 0 && !req.url?.endsWith('/metadata')) {
            lose -= 1;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    out.on('error', () => req.socket.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    loseNextResponse: () => {
      lose += 1;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('message delivery mode (BaRS)', () => {
  let trust: PartnerServer;
  let proxy: Proxy;
  let h: Harness;

  beforeAll(async () => {
    trust = await startPartnerServer({ name: 'trust' });
    proxy = await startProxy(trust.url);
    h = await startHarness([partner({ id: ID, baseUrl: proxy.url, mode: 'message', dosServiceId: DOS_ID })]);
  });
  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await trust?.close();
  });

  const messageCalls = (from = 0) =>
    trust
      .requestLog()
      .slice(from)
      .filter((e) => e.method === 'POST' && e.path === '/$process-message');

  it('posts a message Bundle (MessageHeader first) with request, correlation and NHSD target headers', async () => {
    const id = exchangeFor(await h.service.submit('referral', referralFromTrust()), ID);
    const x = await h.waitStatus(id, 'delivered');
    const [call] = messageCalls();
    const body = call?.body as Bundle;
    expect(body.type).toBe('message');
    const header = body.entry?.[0]?.resource as MessageHeader;
    expect(header.resourceType).toBe('MessageHeader');
    expect(header.destination?.[0]?.endpoint).toContain(DOS_ID);
    expect(header.focus?.length).toBeGreaterThan(0);

    const [msg] = trust.processedMessages();
    expect(msg?.requestId).toBe((await h.attempts(id))[0]?.request_id);
    expect(msg?.correlationId).toBe(x.correlationId);
    expect(JSON.parse(msg?.nhsdHeaders['nhsd-target-identifier'] ?? '{}')).toEqual({
      value: DOS_ID,
      system: 'https://fhir.nhs.uk/Id/dos-service-id',
    });
    expect(msg?.stored.some((s) => s.startsWith('Task/'))).toBe(true);
  });

  it('a retry after a 503 reuses the X-Request-Id', async () => {
    const from = trust.requestLog().length;
    trust.injectFaults({ status: 503 });
    const id = exchangeFor(await h.service.submit('event', recordFixture('event-contacted')), ID);
    await h.waitStatus(id, 'delivered');
    const calls = messageCalls(from);
    expect(calls.map((c) => c.status)).toEqual([503, 200]);
    expect(calls[1]?.headers['x-request-id']).toBe(calls[0]?.headers['x-request-id']);
    const attempts = await h.attempts(id);
    expect(attempts.map((a) => [a.outcome, a.error_class])).toEqual([
      ['retry', 'http-503'],
      ['delivered', null],
    ]);
    expect(new Set(attempts.map((a) => a.request_id))).toEqual(new Set([calls[0]?.headers['x-request-id']]));
  });

  it('a replayed dead letter gets a new X-Request-Id with the same correlation id', async () => {
    const from = trust.requestLog().length;
    trust.injectFaults({ status: 422 });
    const id = exchangeFor(await h.service.submit('event', recordFixture('event-contact-attempted')), ID);
    const dead = await h.waitStatus(id, 'dead');
    expect(dead.attemptCount).toBe(1);
    await h.navbridge.replayDeadLetters(ADMIN, { id });
    await h.waitStatus(id, 'delivered');
    const calls = messageCalls(from);
    expect(calls.map((c) => c.status)).toEqual([422, 200]);
    const [failed, replayed] = calls;
    expect(replayed?.headers['x-request-id']).not.toBe(failed?.headers['x-request-id']);
    expect(replayed?.headers['x-correlation-id']).toBe(failed?.headers['x-correlation-id']);
    expect(replayed?.headers['x-correlation-id']).toBe(dead.correlationId);
    // Same message (business identifiers): the Bundle identifier does not change on replay.
    expect((failed?.body as Bundle | undefined)?.identifier?.value).toBeDefined();
    expect((replayed?.body as Bundle | undefined)?.identifier).toEqual(
      (failed?.body as Bundle | undefined)?.identifier,
    );
  });

  it('a retry of a message that did arrive (response lost) is answered 409 REC_CONFLICT: delivered once', async () => {
    const from = trust.requestLog().length;
    const processedBefore = trust.processedMessages().length;
    proxy.loseNextResponse();
    const ev = { ...recordFixture('event-contacted'), id: 'EV-0142-LOST', at: '2025-03-12T09:00:00+00:00' };
    const id = exchangeFor(await h.service.submit('event', ev), ID);
    const x = await h.waitStatus(id, 'delivered');
    const calls = messageCalls(from);
    expect(calls.map((c) => c.status)).toEqual([200, 409]);
    expect(calls[1]?.headers['x-request-id']).toBe(calls[0]?.headers['x-request-id']);
    // The partner processed it exactly once.
    expect(trust.processedMessages().length - processedBefore).toBe(1);
    const attempts = await h.attempts(id);
    expect(attempts.map((a) => [a.outcome, a.error_class])).toEqual([
      ['retry', 'network'],
      ['delivered', null],
    ]);
    expect(x.attemptCount).toBe(2);
    const { rows } = await h.t.sql.query(
      `SELECT http_status, response FROM exchange_attempts WHERE exchange_id = $1 AND outcome = 'delivered'`,
      [id],
    );
    expect({ ...rows[0], response: await unseal(rows[0].response, 'exchange_attempts.response') }).toEqual({
      http_status: 409,
      response: { duplicate: true },
    });
  });
});
