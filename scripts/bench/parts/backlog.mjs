// Part 4 (backlog): the partner is down (nothing listens on its port) while `count` exchanges queue;
// then it comes back and the time to the last delivery is measured, with per-person order and
// duplicates checked at the partner.
import { randomBytes } from 'node:crypto';
import { matchDeliveries, waitForReceipts } from '../deliveries.mjs';
import { nowMs, postRecords } from '../load.mjs';
import { STEPS_PER_PERSON } from '../records.mjs';
import { freePort, startNavbridge, startReceiver, withAdmin } from '../rig.mjs';

/**
 * Persons whose records make at least `count` exchanges: the mix makes 1.1 exchanges a record, 5.5 a
 * person (11 for two: every other person has a support plan). Rounding the records to whole persons
 * (personsFor) made 9,999 of 10,000 — nothing was refused, there were simply 1,818 persons, not 1,819.
 */
const personsForExchanges = (count) => Math.max(1, Math.ceil(count / (1.1 * STEPS_PER_PERSON)));

export async function runBacklog(opts, { count, say }) {
  const port = await freePort();
  const down = { url: (name) => `http://127.0.0.1:${port}/${name}/fhir` };
  const nb = await startNavbridge(opts, {
    apis: 1,
    workers: 1,
    receiver: down,
    retry: { maxAttempts: 100, baseDelayMs: 200, maxDelayMs: 2_000 },
  });
  let receiver;
  try {
    const accepted = new Map();
    const statuses = new Map();
    const tag = `bl-${randomBytes(3).toString('hex')}`;
    const t0 = nowMs();
    await postRecords({
      base: nb.bases[0],
      apiKey: nb.apiKey,
      tag,
      persons: personsForExchanges(count),
      connections: 8,
      accepted,
      statuses,
    });
    const queuedS = (nowMs() - t0) / 1000;
    say(
      `  ${accepted.size} exchanges (at least ${count} asked) queued in ${queuedS.toFixed(1)} s with the partner down; partner back`,
    );
    receiver = await startReceiver(port);
    const upT = nowMs();
    await waitForReceipts(receiver, accepted.size, { stallMs: 120_000 });
    const { rows } = await withAdmin(opts.databaseUrl, (c) =>
      c.query(`SELECT id, request_id FROM ${nb.schema}.exchanges WHERE direction = 'outbound'`),
    );
    const byRid = new Map(rows.map((r) => [r.request_id, r.id]));
    const m = matchDeliveries(accepted, await receiver.receipts(), (r) => byRid.get(r.rid), upT);
    return {
      asked: count,
      exchanges: accepted.size,
      queuedS,
      answers: Object.fromEntries(statuses),
      drainS: m.spanS,
      drainPerS: m.exchangesPerS,
      delivered: m.delivered,
      missing: m.missing,
      duplicates: m.duplicates,
      outOfOrder: m.outOfOrder,
    };
  } finally {
    await nb.stop();
    await receiver?.stop();
  }
}
