// Part 2 (intake) and the /health half of part 5: POST /api/v1/records and POST /fhir/$process-message
// at a steady rate (p50/p99, /health p99 meanwhile), then a step search for the highest steady rate
// whose p99 stays within the budget with every answer 2xx and the rate actually reached. Steady means
// paced (paced.mjs: one request every 1/rate s, latency from when it was due); the same 50/s as
// autocannon sends it (`overallRate`: a burst of a second's requests at each one-second tick) is
// reported beside it as "bursts".
import { randomBytes } from 'node:crypto';
import { pacedBars, pacedRecords, postBars, postRecords, probeHealth, summarise } from '../load.mjs';
import { sampleMemory, startNavbridge, withAdmin } from '../rig.mjs';
import { percentiles } from '../stats.mjs';

export const P99_BUDGET_MS = 50;

/**
 * Waits (up to a minute) until the worker has delivered what the earlier steps queued, so that a
 * step measures intake at its own rate, with the worker keeping up with that rate, not the backlog an
 * overloaded step left (which once made 4/s look like 50/s). Answers the seconds waited.
 */
async function drainDeliveries(nb) {
  const t0 = performance.now();
  await withAdmin(nb.opts.databaseUrl, async (c) => {
    for (;;) {
      const open = await c.query(
        `SELECT count(*)::int AS n FROM ${nb.schema}.exchanges
          WHERE direction = 'outbound' AND status IN ('pending', 'in-flight')`,
      );
      if (open.rows[0].n === 0 || performance.now() - t0 > 60_000) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  return Math.round((performance.now() - t0) / 100) / 10;
}

/**
 * Lets the API work off what an earlier step left in flight (the requests autocannon abandoned at the
 * end of its run are still being processed): one person's records posted one at a time, each behind
 * them, and a warm-up of the code paths on the first call.
 */
let settled = 0;
async function settleApi(nb) {
  await postRecords({
    base: nb.bases[0],
    apiKey: nb.apiKey,
    tag: `settle${settled++}`,
    persons: 1,
    connections: 1,
  });
}

/**
 * One steady run of `kind` at `rate`/s for `seconds`, paced (the default) or in autocannon's
 * per-second bursts: latency figures plus the answers by status.
 */
async function steady(nb, kind, rate, seconds, say, { bursts = false } = {}) {
  const drainedS = await drainDeliveries(nb);
  await settleApi(nb);
  const base = nb.bases[0];
  const tag = `in-${randomBytes(3).toString('hex')}`;
  let s;
  if (bursts) {
    const statuses = new Map();
    // A second of requests may be in flight: the offered rate holds while the answers slow down.
    const connections = Math.min(200, Math.max(10, rate));
    const r =
      kind === 'records'
        ? await postRecords({ base, apiKey: nb.apiKey, tag, rate, duration: seconds, connections, statuses })
        : await postBars({ base, token: nb.token, rate, duration: seconds, connections, statuses });
    s = { rate, ...summarise(r), answers: Object.fromEntries(statuses) };
  } else {
    // Up to a second of requests in flight (paced's default), as for the bursts.
    s = {
      rate,
      ...(kind === 'records'
        ? await pacedRecords({ base, apiKey: nb.apiKey, tag, rate, duration: seconds })
        : await pacedBars({ base, token: nb.token, rate, duration: seconds })),
    };
  }
  const ok =
    s.p99 <= P99_BUDGET_MS &&
    s.non2xx === 0 &&
    s.errors === 0 &&
    s.timeouts === 0 &&
    s.ratePerS >= rate * 0.9;
  say(
    `    ${kind} at ${rate}/s${bursts ? ' in bursts' : ''}: p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.ratePerS}/s reached, answers ${JSON.stringify(s.answers)}${drainedS ? ` (after ${drainedS} s for the worker to catch up)` : ''}${ok ? '' : ' ✗'}`,
  );
  return { ...s, drainedS, holds: ok };
}

/**
 * Highest steady rate holding the budget: from 50/s, doubling while it holds (else halving until it
 * does), then one bisection between the last rate that held and the first that did not.
 */
async function stepSearch(nb, kind, seconds, say, maxRate = 1600) {
  const steps = [];
  const tryRate = async (rate) => {
    const s = await steady(nb, kind, rate, seconds, say);
    steps.push(s);
    return s.holds;
  };
  let good = 0;
  let bad = 0;
  let rate = 50;
  if (await tryRate(rate)) {
    good = rate;
    while (rate < maxRate) {
      rate *= 2;
      if (!(await tryRate(rate))) {
        bad = rate;
        break;
      }
      good = rate;
    }
  } else {
    bad = rate;
    while (rate > 5) {
      rate = Math.round(rate / 2);
      if (await tryRate(rate)) {
        good = rate;
        break;
      }
      bad = rate;
    }
  }
  if (good && bad) {
    const mid = Math.round((good + bad) / 2);
    if (mid !== good && mid !== bad && (await tryRate(mid))) good = mid;
  }
  return { highestRate: good, steps };
}

export async function runIntake(opts, receiver, { seconds, searchSeconds, say }) {
  await receiver.reset();
  const nb = { ...(await startNavbridge(opts, { apis: 1, workers: 1, receiver })), opts };
  // The API's RSS through every step, the overloaded ones included.
  const stopMemory = sampleMemory(nb.apiProcs);
  try {
    const out = {};
    for (const kind of ['records', 'bars']) {
      say(`  ${kind}: steady 50/s for ${seconds} s, /health probed every 20 ms`);
      const stopProbe = probeHealth(nb.bases[0]);
      const at50 = await steady(nb, kind, 50, seconds, say);
      const health = percentiles(await stopProbe());
      const bursts = await steady(nb, kind, 50, seconds, say, { bursts: true });
      say(`  ${kind}: step search (${searchSeconds} s a step, p99 ≤ ${P99_BUDGET_MS} ms)`);
      const search = await stepSearch(nb, kind, searchSeconds, say);
      out[kind] = {
        at50,
        bursts,
        health: { p50: health.p50, p99: health.p99, max: health.max, n: health.n },
        ...search,
      };
    }
    out.apiMemory = stopMemory().api1;
    return out;
  } finally {
    stopMemory();
    await nb.stop();
  }
}
