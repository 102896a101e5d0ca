// What SQL may read of a record without opening its sealed payload: kept in plain beside it
// (records.sharing, records.facts), written at insert. Pure: payload in, plain metadata out. Only
// codes, instants, numbers and the ids the reports join on are copied — never a name, an NHS number, a
// date of birth or free text — because these columns are readable by anyone who can read the table.
import { createHash } from 'node:crypto';

type Plain = string | number | boolean;
type Obj = Record<string, unknown>;

/** The plain facts of one record version (README "Reports": which figure reads which). */
export interface RecordFacts {
  [field: string]: Plain | RecordFacts[] | undefined;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPlain = (v: unknown): v is Plain =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** The named members of `o` that hold a string, boolean or finite number (anything else is left out). */
function pick(o: Obj, fields: readonly string[]): RecordFacts {
  const out: RecordFacts = {};
  for (const f of fields) if (isPlain(o[f])) out[f] = o[f];
  return out;
}

/**
 * What each event type adds to its `type` and `at`: a reason code only where it is one (a rejection's
 * `detail` and a discharge's `summary` are free text and stay sealed), the consent answer of a contact,
 * a measure's code and score (not `measureName`: free text), and the target of a retraction.
 */
const EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  contacted: ['consentConfirmed'],
  discharged: ['reason'],
  rejected: ['reason'],
  'outcome-recorded': ['measure', 'score'],
  'entered-in-error': ['recordType', 'recordId'],
};

/**
 * An onward service counted without its name: SHA-256 of `lower(name)|type`, so distinct services can
 * be counted case-insensitively (migrations/17335000000000_record-facts.js computes the same in SQL).
 */
export const serviceDigest = (name: string, type: string): string =>
  createHash('sha256').update(`${name.toLowerCase()}|${type}`, 'utf8').digest('hex');

function domainsOf(domains: unknown): RecordFacts[] | undefined {
  if (!Array.isArray(domains)) return undefined;
  return domains.filter(isObj).map((d) => pick(d, ['domain', 'needIdentified']));
}

function onwardOf(onward: unknown): RecordFacts[] | undefined {
  if (!Array.isArray(onward)) return undefined;
  return onward.filter(isObj).map((o) => {
    const service = isObj(o.service) ? o.service : {};
    const facts = pick({ id: o.id, type: service.type }, ['id', 'type']);
    if (typeof service.name === 'string' && typeof service.type === 'string')
      facts.service = serviceDigest(service.name, service.type);
    return facts;
  });
}

/** Leaves out members that came out undefined (so the JSON is the same as SQL's jsonb_strip_nulls). */
function defined(o: RecordFacts): RecordFacts {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The plain facts of a record (null for a payload that is not an object or a type with none). */
export function factsOf(recordType: string, payload: unknown): RecordFacts | null {
  if (!isObj(payload)) return null;
  switch (recordType) {
    case 'referral':
      return pick(payload, ['route', 'receivedAt']);
    case 'event': {
      const type = typeof payload.type === 'string' ? payload.type : '';
      return pick(payload, ['type', 'at', ...(EVENT_FIELDS[type] ?? [])]);
    }
    case 'assessment':
      return defined({ ...pick(payload, ['completedAt']), domains: domainsOf(payload.domains) });
    case 'support-plan':
      return defined({ ...pick(payload, ['agreedAt']), onward: onwardOf(payload.onwardReferrals) });
    default:
      return null;
  }
}

/**
 * A referral's agreement to share, kept in plain beside the sealed payload (booleans by category, no
 * patient data) because routing and every partner read consult it.
 */
export function sharingOf(recordType: string, payload: unknown): string | null {
  if (recordType !== 'referral' || !isObj(payload)) return null;
  return isObj(payload.sharing) ? JSON.stringify(payload.sharing) : null;
}
