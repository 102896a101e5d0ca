// What reached the partner, matched to what was accepted: accept → receipt latency, exchanges/s,
// duplicates and per-person order (each person's exchanges to one partner arrive in posting order).
import { percentiles, perSecond } from './stats.mjs';

/**
 * `accepted`: Map exchangeId → { t, person, step, partner }; `receipts`: the receiver's list;
 * `idOf(receipt)`: the exchange id it delivers (undefined: not one of ours); `startT`: first send.
 */
export function matchDeliveries(accepted, receipts, idOf, startT) {
  const first = new Map();
  let duplicates = 0;
  let foreign = 0;
  for (const r of receipts) {
    const id = idOf(r);
    if (!id || !accepted.has(id)) {
      foreign++;
      continue;
    }
    if (first.has(id)) duplicates++;
    else first.set(id, r);
  }
  const latencies = [];
  let lastT = startT;
  const byPersonPartner = new Map();
  for (const [id, a] of accepted) {
    const r = first.get(id);
    if (!r) continue;
    latencies.push(r.t - a.t);
    lastT = Math.max(lastT, r.t);
    const k = `${a.person}|${r.path}`;
    if (!byPersonPartner.has(k)) byPersonPartner.set(k, []);
    byPersonPartner.get(k).push({ t: r.t, step: a.step });
  }
  let outOfOrder = 0;
  for (const list of byPersonPartner.values()) {
    list.sort((x, y) => x.t - y.t);
    for (let i = 1; i < list.length; i++) if (list[i].step < list[i - 1].step) outOfOrder++;
  }
  const p = percentiles(latencies);
  return {
    accepted: accepted.size,
    delivered: first.size,
    missing: accepted.size - first.size,
    duplicates,
    foreign,
    outOfOrder,
    spanS: (lastT - startT) / 1000,
    exchangesPerS: perSecond(first.size, lastT - startT),
    latencyMs: { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max },
  };
}

/** Waits until the receiver holds `n` receipts, or nothing new came for `stallMs`; returns the count. */
export async function waitForReceipts(receiver, n, { stallMs = 60_000, timeoutMs = 900_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = await receiver.count();
    if (c >= n) return c;
    if (c !== last) {
      last = c;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 200));
  }
}
