// What the demo prints at the end, from navbridge's own stored state (the navigator API's exchanges)
// and from the partner sandboxes: counts that say what they count, what was withheld and why, and the
// URL of every resource that landed at a partner.

/** Every exchange status, with what one such exchange is (an exchange: one record version, one partner). */
export const STATUS_MEANING = {
  received: 'referrals received from the trust (inbound)',
  delivered: 'record versions sent to a partner and acknowledged by it (one per record version per partner)',
  'withheld-no-consent':
    'record versions kept from a partner because the person has not agreed to share them',
  'no-route': 'record versions no configured partner receives (kept, never sent)',
  superseded: 'record versions replaced by a newer version before they were sent',
  discarded: 'dead letters an operator discarded',
  pending: 'still waiting to be sent',
  'in-flight': 'being sent now',
  failed: 'failed once, to be retried',
  blocked: 'waiting behind an earlier exchange for the same person and partner',
  dead: 'given up after every retry (dead letters)',
};

/** Statuses that are still moving: the demo waits until none is left. */
export const UNSETTLED = ['pending', 'in-flight', 'failed', 'blocked'];

const WITHHELD = { 'withheld-no-consent': 'by consent', 'no-route': 'by what partners receive' };

/** Lines explaining `exchanges`' counts per status, e.g. "   16 delivered — record versions sent …". */
export function countLines(exchanges) {
  const byStatus = new Map();
  for (const x of exchanges) byStatus.set(x.status, (byStatus.get(x.status) ?? 0) + 1);
  const width = Math.max(...[...byStatus.values()].map((n) => String(n).length));
  return [...byStatus.entries()].map(
    ([status, n]) =>
      `${String(n).padStart(width)} ${status} — ${STATUS_MEANING[status] ?? 'see docs/delivery.md'}`,
  );
}

/** One line per exchange navbridge withheld or could not route: partner, record and the stored reason. */
export function withheldLines(exchanges) {
  return exchanges
    .filter((x) => x.status in WITHHELD)
    .map(
      (x) =>
        `${x.status} (${WITHHELD[x.status]}): partner ${x.partnerId ?? '(none)'}, record ${x.recordType} ${x.sourceId} v${x.version}, exchange ${x.id}\n      reason: ${x.statusReason ?? '—'}`,
    );
}

/** Resource types the demo looks for at the partners (a document-mode partner files Bundles). */
export const LANDED_TYPES = [
  'Task',
  'QuestionnaireResponse',
  'CarePlan',
  'Goal',
  'ServiceRequest',
  'Communication',
  'Observation',
  'Bundle',
  'DocumentReference',
  'Patient',
  'Organization',
];

/** The URL of every resource at a partner FHIR server, by type, as `{ type, url }`. */
export async function landedResources(baseUrl) {
  const out = [];
  for (const type of LANDED_TYPES) {
    const res = await fetch(`${baseUrl}/${type}?_count=1000`);
    if (!res.ok) continue;
    const bundle = await res.json();
    for (const e of bundle.entry ?? []) {
      if (e.resource?.id) out.push({ type, url: `${baseUrl}/${type}/${e.resource.id}` });
    }
  }
  return out;
}
