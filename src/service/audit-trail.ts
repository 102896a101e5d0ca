// The audit trail for the admin (API and CLI alike): query it (filters and paging), export it as FHIR
// R4 AuditEvent resources (NHS IG / IHE ATNA style: DICOM event types, RESTful interaction subtypes,
// the requesting agent with its network address, navbridge as the source, the resource as entity)
// and verify its hash chain. Querying the trail is itself audited.
import type { AuditEvent, Bundle } from 'fhir/r4.js';
import { type AuditQuery, type AuditRow, audit, listAudit, verifyAuditChain } from '../store/audit.js';
import { authorize } from './authorize.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export type { AuditQuery, AuditRow, ChainVerdict } from '../store/audit.js';

/** The largest page an admin may ask for. */
export const AUDIT_PAGE_MAX = 1000;

export interface AuditPage {
  entries: AuditRow[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export async function queryAudit(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller | undefined,
  q: AuditQuery,
): Promise<AuditPage> {
  await authorize(deps, caller, { action: 'administer' });
  const limit = Math.min(q.limit ?? 100, AUDIT_PAGE_MAX);
  const entries = await listAudit(deps.db, { ...q, limit });
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'query-audit',
    targetType: 'audit-log',
    targetId: null,
    detail: { count: entries.length, filter: filterDetail(q) },
  });
  const last = entries[entries.length - 1];
  return { entries, ...(entries.length === limit && last ? { next: last.seq } : {}) };
}

/** The filter as recorded (dates as ISO text). */
function filterDetail(q: AuditQuery): Record<string, unknown> {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

export async function verifyAudit(deps: Pick<ServiceDeps, 'db'>, caller: Caller | undefined) {
  await authorize(deps, caller, { action: 'administer' });
  const verdict = await verifyAuditChain(deps.db);
  await audit(deps.db, {
    ...whoOf(caller),
    action: 'verify-audit',
    targetType: 'audit-log',
    targetId: null,
    outcome: verdict.ok ? 'success' : 'failure',
    detail: verdict.ok ? { rows: verdict.rows } : { brokenAt: verdict.brokenAt, problem: verdict.problem },
  });
  return verdict;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const REST = 'http://hl7.org/fhir/restful-interaction';
const ACTOR_SYSTEM = 'https://fhir.navbridge.org.uk/Id/audit-actor';
const RECORD_SYSTEM = 'https://fhir.navbridge.org.uk/Id/audit-record';

type Coding = { system: string; code: string; display: string };
const dcm = (code: string, display: string): Coding => ({ system: DCM, code, display });
const rest = (code: string): Coding => ({ system: REST, code, display: code });
const REST_TYPE: Coding = { system: EVENT_TYPE, code: 'rest', display: 'RESTful Operation' };

/** Each navbridge action as an ATNA event: type, subtype and the CRUDE action code. */
const EVENTS: Record<string, { type: Coding; subtype?: Coding; action: AuditEvent['action'] }> = {
  authenticate: { type: dcm('110114', 'User Authentication'), subtype: dcm('110122', 'Login'), action: 'E' },
  'access-denied': { type: dcm('110113', 'Security Alert'), action: 'E' },
  read: { type: REST_TYPE, subtype: rest('read'), action: 'R' },
  'view-payload': { type: REST_TYPE, subtype: rest('read'), action: 'R' },
  'list-referrals': { type: REST_TYPE, subtype: rest('search-type'), action: 'R' },
  'list-dead-letters': { type: REST_TYPE, subtype: rest('search-type'), action: 'R' },
  'write-record': { type: REST_TYPE, subtype: rest('create'), action: 'C' },
  'remap-record': { type: REST_TYPE, subtype: rest('update'), action: 'U' },
  replay: { type: REST_TYPE, subtype: rest('update'), action: 'U' },
  discard: { type: REST_TYPE, subtype: rest('update'), action: 'U' },
  'inbound-received': { type: dcm('110107', 'Import'), action: 'C' },
  'inbound-refused': { type: dcm('110107', 'Import'), action: 'C' },
  'deliver-start': { type: dcm('110106', 'Export'), action: 'R' },
  deliver: { type: dcm('110106', 'Export'), action: 'R' },
  'query-audit': { type: dcm('110101', 'Audit Log Used'), action: 'R' },
  'verify-audit': { type: dcm('110101', 'Audit Log Used'), action: 'E' },
};
const OTHER = { type: REST_TYPE, action: 'E' as const };

/** AuditEvent.outcome: 0 success, 4 minor failure (refused input, not found), 8 serious (denied). */
const OUTCOME: Record<AuditRow['outcome'], AuditEvent['outcome']> = {
  success: '0',
  failure: '4',
  denied: '8',
};

/** FHIR resource types the trail names by id (anything else is an identifier). */
const FHIR_TYPES = new Set(['Task', 'ServiceRequest']);

/** One audit row as an R4 AuditEvent. */
export function toAuditEvent(row: AuditRow): AuditEvent {
  const ev = EVENTS[row.action] ?? OTHER;
  const target = row.targetId
    ? FHIR_TYPES.has(row.targetType)
      ? { reference: `${row.targetType}/${row.targetId}` }
      : { identifier: { system: `${RECORD_SYSTEM}/${row.targetType}`, value: row.targetId } }
    : { display: row.targetType };
  return {
    resourceType: 'AuditEvent',
    id: `audit-${row.seq}`,
    type: ev.type,
    ...('subtype' in ev && ev.subtype ? { subtype: [ev.subtype] } : {}),
    ...(ev.action ? { action: ev.action } : {}),
    recorded: row.at.toISOString(),
    outcome: OUTCOME[row.outcome],
    ...(row.outcome !== 'success' && typeof row.detail.answer === 'string'
      ? { outcomeDesc: row.detail.answer }
      : row.outcome !== 'success' && typeof row.detail.code === 'string'
        ? { outcomeDesc: row.detail.code }
        : {}),
    agent: [
      {
        type: {
          coding: [
            row.actor === 'worker'
              ? { system: DCM, code: '110153', display: 'Source Role ID' }
              : { system: DCM, code: '110151', display: 'Destination Role ID' },
          ],
        },
        who: { identifier: { system: ACTOR_SYSTEM, value: row.actor } },
        requestor: row.actor !== 'worker',
        ...(row.sourceAddress ? { network: { address: row.sourceAddress, type: '2' as const } } : {}),
      },
    ],
    source: {
      site: 'navbridge',
      observer: { display: 'navbridge' },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    entity: [
      {
        what: target,
        type: {
          system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
          code: '2',
          display: 'System Object',
        },
        detail: [
          { type: 'navbridge-action', valueString: row.action },
          { type: 'chain-seq', valueString: String(row.seq) },
          { type: 'chain-hash', valueString: row.hash },
        ],
      },
    ],
  };
}

/** A page of the trail as a FHIR `collection` Bundle of AuditEvents. */
export async function exportAuditEvents(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller | undefined,
  q: AuditQuery,
): Promise<{ bundle: Bundle; next?: number }> {
  const page = await queryAudit(deps, caller, q);
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'collection',
      entry: page.entries.map((row) => ({ resource: toAuditEvent(row) })),
    },
    ...(page.next !== undefined ? { next: page.next } : {}),
  };
}
