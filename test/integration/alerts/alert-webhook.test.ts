// The watchdog in the worker: a BullMQ job scheduler runs it (one schedule however many workers
// declare it), and each alert raised or cleared is POSTed to a real HTTP receiver that verifies the
// HMAC-SHA256 signature; a receiver answering 500 gets the notification again (its own queue retries).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertWorkers,
  signAlertBody,
  startAlertWorkers,
  WATCHDOG_QUEUE,
} from '../../../src/delivery/alerts.js';
import type { Referral } from '../../../src/records/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';
import { connectRedis } from '../../support/redis.js';
import { waitFor } from '../../support/wait.js';

const SECRET = 'alert-webhook-secret-for-tests-0123456789';
const HOUR = 3_600_000;

interface Received {
  event: string;
  alert: { id: string; kind: string; key: string; state: string };
  raw: string;
  verified: boolean;
}

/** Verifies `t=<s>,v1=<hex>` as a receiver would: HMAC-SHA256 of "<t>.<raw body>", compared in constant time. */
function verify(header: string | undefined, raw: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });

describe('alert webhook and the watchdog scheduler', () => {
  let nb: TestNavbridge;
  let receiver: Server;
  let url: string;
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const workers: AlertWorkers[] = [];
  const clock = { now: new Date() };
  const family = `Family${randomUUID().slice(0, 8)}`;
  const nhs = nhsNumber();

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      const raw = await readBody(req);
      const body = JSON.parse(raw) as Omit<Received, 'raw' | 'verified'>;
      const k = `${body.alert.id}-${body.event}`;
      const n = (attempts.get(k) ?? 0) + 1;
      attempts.set(k, n);
      // The first delivery of each notification fails: it must come again.
      if (n === 1) return res.writeHead(500).end();
      received.push({
        ...body,
        raw,
        verified: verify(req.headers['x-navbridge-signature'] as string, raw, SECRET),
      });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
    nb = await buildTestNavbridge({ clock, delivery: 'queues' });
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.close();
    await nb?.close();
    await new Promise((r) => receiver?.close(r));
  });

  const start = () =>
    startAlertWorkers({
      db: nb.t.db,
      connection: nb.redis!,
      connect: () => connectRedis(),
      prefix: nb.prefix,
      intervalMs: 1_000,
      run: async () => (await nb.navbridge.runWatchdog()).transitions,
      webhook: { url, secret: SECRET, timeoutMs: 5_000, maxAttempts: 5 },
      retryDelayMs: 200,
      logger: pino({ level: 'silent' }),
    }).then((w) => {
      workers.push(w);
      return w;
    });

  it('signs the body a receiver can verify, and a tampered body does not verify', () => {
    const header = signAlertBody(SECRET, '{"a":1}', 1_700_000_000);
    expect(verify(header, '{"a":1}', SECRET)).toBe(true);
    expect(verify(header, '{"a":2}', SECRET)).toBe(false);
    expect(verify(header, '{"a":1}', 'another-secret-0123456789')).toBe(false);
  });

  it('runs on its schedule, notifies raised and cleared alerts (retried after a 500), ids only', async () => {
    // Two worker processes declare the schedule: there is one.
    await start();
    await start();
    const q = new Queue(WATCHDOG_QUEUE, { connection: nb.redis!, prefix: nb.prefix });
    expect(await q.getJobSchedulers()).toHaveLength(1);
    await q.close();

    // A referral whose first contact is due in 2 hours: contact-due-soon on the next scheduled run.
    const r = recordFixture<Referral>('referral');
    r.id = `REF-${randomUUID().slice(0, 8)}`;
    r.receivedAt = new Date(clock.now.getTime() - 70 * HOUR).toISOString();
    r.referralDate = r.receivedAt.slice(0, 10);
    r.person.nhsNumber = nhs;
    r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
    r.person.name.family = family;
    expect((await nb.navbridge.submitRecord(ADMIN, 'referral', r)).outcome).toBe('accepted');
    const key = `leeds-north|${r.id}`;
    const got = (event: string) =>
      received.find((x) => x.event === event && x.alert.kind === 'contact-due-soon' && x.alert.key === key);
    const raised = await waitFor(async () => got('alert.raised'), {
      what: 'the raised alert at the receiver',
      timeoutMs: 60_000,
    });
    expect(raised.verified).toBe(true);
    expect(attempts.get(`${raised.alert.id}-alert.raised`)).toBe(2);
    expect(raised.alert.state).toBe('open');
    expect(raised.raw).not.toContain(family);
    expect(raised.raw).not.toContain(nhs);

    // Contact made: the next run clears it, and the receiver hears that too.
    const contacted = {
      id: `EV-${randomUUID().slice(0, 8)}`,
      site: 'leeds-north',
      version: 1,
      referralId: r.id,
      type: 'contacted',
      at: new Date(clock.now.getTime() - 60_000).toISOString(),
      method: 'phone',
    };
    expect((await nb.navbridge.submitRecord(ADMIN, 'event', contacted)).outcome).toBe('accepted');
    const cleared = await waitFor(async () => got('alert.cleared'), {
      what: 'the cleared alert at the receiver',
      timeoutMs: 60_000,
    });
    expect(cleared.verified).toBe(true);
    expect(cleared.alert.state).toBe('cleared');
    // Once each: however many runs happened meanwhile, one raised and one cleared notification.
    expect(received.filter((x) => x.alert.id === raised.alert.id).map((x) => x.event)).toEqual([
      'alert.raised',
      'alert.cleared',
    ]);
  }, 120_000);
});
