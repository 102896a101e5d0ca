// A paced open-loop load: request i is due at start + i / rate seconds, sent when due whatever the
// earlier answers are doing (up to `maxInFlight` at a time; one due while that many are out waits for
// a free slot), and its latency is counted from when it was due, not from when it was sent, so a
// stalled server is charged for the requests it held up (no coordinated omission).
//
// autocannon's `overallRate` is not steady in this sense: each connection may send its share of a
// second's requests at each one-second tick, so 50/s arrives as a burst of 50 at the top of every
// second and the last of them queues behind the other 49. The bench reports that figure too, as
// "bursts", beside this one.
import http from 'node:http';
import { percentiles } from './stats.mjs';

/**
 * Runs `rate` requests a second for `duration` seconds against `base`. `next()` gives the next
 * request ({ path, headers, body, onAnswer? }) or undefined when none can go yet (it is asked again
 * at the next due time; the load then falls behind and `ratePerS` shows it). Answers a summary in
 * the shape of `summarise` in load.mjs.
 */
export async function paced({ base, rate, duration, next, maxInFlight = rate, timeoutMs = 30_000 }) {
  const url = new URL(base);
  // No Nagle: the last segment of a body of several TCP segments (a BaRS message is 11 KB) must not
  // wait for the server's ACK of the earlier ones.
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight, noDelay: true });
  const total = Math.round(rate * duration);
  const interval = 1000 / rate;
  const latencies = [];
  const answers = new Map();
  let inFlight = 0;
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  const waiting = [];
  const done = [];
  const start = performance.now();

  const send = (req, due) =>
    new Promise((resolve) => {
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const r = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: req.method ?? 'POST',
          path: req.path,
          agent,
          headers: { ...req.headers, ...(body ? { 'content-length': body.length } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            latencies.push(performance.now() - due);
            const status = res.statusCode ?? 0;
            answers.set(status, (answers.get(status) ?? 0) + 1);
            req.onAnswer?.(status, Buffer.concat(chunks).toString('utf8'));
            resolve();
          });
        },
      );
      r.on('socket', (socket) => socket.setNoDelay(true));
      r.on('timeout', () => {
        timeouts++;
        r.destroy(new Error('timeout'));
      });
      r.on('error', () => {
        errors++;
        req.onAnswer?.(0, '');
        resolve();
      });
      r.end(body);
    });

  const release = () => {
    inFlight--;
    const w = waiting.shift();
    if (w) w();
  };
  const fire = async (due) => {
    const req = next();
    if (!req) return;
    sent++;
    if (inFlight >= maxInFlight) await new Promise((r) => waiting.push(r));
    inFlight++;
    await send(req, due);
    release();
  };

  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    done.push(fire(due));
  }
  await Promise.all(done);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  const p = percentiles(latencies, [50, 90, 99]);
  const count = (lo, hi) => [...answers].filter(([s]) => s >= lo && s < hi).reduce((n, [, c]) => n + c, 0);
  const round = (v) => Math.round(v * 10) / 10;
  return {
    requests: sent,
    durationS: round(elapsedS),
    // Requests sent per second of the schedule (the offered load that was met), not answers per second.
    ratePerS: round(sent / duration),
    p50: round(p.p50),
    p90: round(p.p90),
    p99: round(p.p99),
    max: round(p.max),
    ok2xx: count(200, 300),
    non2xx: sent - count(200, 300) - errors,
    s4xx: count(400, 500),
    s5xx: count(500, 600),
    errors,
    timeouts,
    answers: Object.fromEntries(answers),
  };
}
