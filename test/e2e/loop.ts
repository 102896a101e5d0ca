// Helpers for the end-to-end tests: people with valid NHS numbers, the demo's trust referral as a
// FHIR ServiceRequest or a BaRS message, the navigator's journey, and reads of what each partner
// server and the message store hold (by business identifier, so every count means "exactly once").
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  Bundle,
  Composition,
  MessageHeader,
  Organization,
  Patient,
  Resource,
  ServiceRequest,
  Task,
} from 'fhir/r4.js';
import { expect } from 'vitest';
import { BARS_EVENT_SYSTEM, BARS_REASON_SYSTEM } from '../../src/intake/envelope.js';
import { type E2E, type Sandbox, SITE } from '../support/e2e.js';
import { serviceRequestIdOf } from '../support/fixtures.js';
import { nhsNumber } from '../support/people.js';
import { REPO_ROOT } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

export const IDS = `https://fhir.navbridge.org.uk/Id/${SITE}`;
export const ident = (kind: string, value: string) => `${IDS}/${kind}|${value}`;
const demo = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'demo', file), 'utf8')) as T;
const JOURNEY = demo<{ steps: { label: string; recordType: string; record: unknown }[] }>(
  'navigator-journey.json',
).steps;
const UNSETTLED = ['pending', 'in-flight', 'failed'];

export interface Person {
  tag: string;
  nhs: string;
  /** The trust's own referral identifier value. */
  trustRef: string;
}
export function person(tag: string): Person {
  return { tag, nhs: nhsNumber(), trustRef: `LYPFT-E2E-${tag}-${randomUUID().slice(0, 8)}` };
}

/** The demo's trust referral for this person (contained Patient, consent extension). */
export function trustReferral(p: Person, file = 'trust-referral.json'): ServiceRequest {
  const sr = demo<ServiceRequest>(file);
  const patient = sr.contained?.find((r) => r.resourceType === 'Patient') as Patient;
  patient.identifier![0]!.value = p.nhs;
  sr.identifier![0]!.value = p.trustRef;
  return sr;
}

/** The same referral as a BaRS servicerequest-request message (new / delete). */
export function barsMessage(sr: ServiceRequest, reason: 'new' | 'delete' = 'new'): Bundle {
  const urn = () => `urn:uuid:${randomUUID()}`;
  const [srUrl, patientUrl, orgUrl, receiverUrl] = [urn(), urn(), urn(), urn()];
  const patient = sr.contained?.find((r) => r.resourceType === 'Patient') as Patient;
  const org = sr.contained?.find((r) => r.resourceType === 'Organization') as Organization;
  const { contained: _c, ...bare } = sr;
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: randomUUID(),
    eventCoding: { system: BARS_EVENT_SYSTEM, code: 'servicerequest-request' },
    reason: { coding: [{ system: BARS_REASON_SYSTEM, code: reason }] },
    source: { endpoint: 'https://fhir.lypft.example.nhs.uk/fhir' },
    // BaRS: the destination names the service by its DoS id (leeds-north's), the receiver its Organization.
    destination: [
      { endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|2000045871', receiver: { reference: receiverUrl } },
    ],
    focus: [{ reference: srUrl }],
  };
  const strip = <T extends Resource>(r: T): T => ({ ...r, id: undefined });
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { versionId: '1.5.0' },
    type: 'message',
    entry: [
      { fullUrl: `urn:uuid:${header.id}`, resource: header },
      {
        fullUrl: srUrl,
        resource: {
          ...(bare as ServiceRequest),
          subject: { reference: patientUrl },
          requester: { reference: orgUrl },
        } as ServiceRequest,
      },
      { fullUrl: patientUrl, resource: strip(patient) },
      { fullUrl: orgUrl, resource: strip(org) },
      {
        fullUrl: receiverUrl,
        resource: {
          resourceType: 'Organization',
          name: 'Leeds North Mental Health Navigation',
        } as Organization,
      },
    ],
  };
}

export async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 2_000)}`);
  return JSON.parse(text) as T;
}

export interface ExchangeRow {
  id: string;
  partner_id: string | null;
  record_type: string;
  source_id: string;
  version: number;
  status: string;
  attempts: number;
}

/** Reads and writes of the loop against a running harness (`e()` is read at call time). */
export function loopClient(e: () => E2E) {
  const navigator = async <T>(method: string, url: string, body: unknown, what: string) =>
    json<T>(await e().asNavigator(method, url, body), what);

  /** The trust's Task for a ServiceRequest of ours, as the trust reads it from navbridge. */
  async function taskFor(srId: string): Promise<Task> {
    const bundle = await json<Bundle>(
      await e().asTrust('GET', `/fhir/Task?focus=ServiceRequest/${srId}`),
      'Task search',
    );
    expect(bundle.entry).toHaveLength(1);
    return bundle.entry![0]!.resource as Task;
  }
  const referralIdOf = (task: Task) =>
    task.identifier?.find((i) => i.system === `${IDS}/referral-task`)?.value ?? '';

  async function refer(sr: ServiceRequest): Promise<{ srId: string; task: Task; referralId: string }> {
    const res = await e().asTrust('POST', '/fhir/ServiceRequest', sr);
    await json(res, 'referral');
    expect(res.status).toBe(201);
    const srId = serviceRequestIdOf(res.headers.get('location'));
    const task = await taskFor(srId);
    return { srId, task, referralId: referralIdOf(task) };
  }

  async function agreeSharing(referralId: string, sharing: Record<string, boolean>): Promise<void> {
    const detail = await navigator<{ record: { payload: Record<string, unknown>; version: number } }>(
      'GET',
      `/api/v1/referrals/${encodeURIComponent(referralId)}`,
      undefined,
      'referral detail',
    );
    const v2 = { ...detail.record.payload, version: detail.record.version + 1, sharing };
    const r = await navigator<{ outcome: string }>(
      'POST',
      '/api/v1/records',
      { recordType: 'referral', record: v2 },
      'sharing',
    );
    expect(r.outcome).toBe('accepted');
  }

  /** The demo journey (contact → discharge) with record ids of this person; `upTo` steps only. */
  async function journey(referralId: string, tag: string, upTo = JOURNEY.length): Promise<void> {
    for (const step of JOURNEY.slice(0, upTo)) {
      const record = JSON.parse(
        JSON.stringify(step.record).replaceAll('{{referralId}}', referralId).replaceAll('DEMO-', `${tag}-`),
      );
      const r = await navigator<{ outcome: string }>(
        'POST',
        '/api/v1/records',
        { recordType: step.recordType, record },
        step.label,
      );
      expect(r.outcome, step.label).toBe('accepted');
    }
  }

  async function exchanges(referralId: string): Promise<ExchangeRow[]> {
    const { rows } = await e().t.sql.query(
      `SELECT x.id, x.partner_id, x.record_type, x.source_id, x.version, x.status,
              (SELECT count(*)::int FROM exchange_attempts a WHERE a.exchange_id = x.id) AS attempts
         FROM exchanges x WHERE x.direction = 'outbound' AND x.referral_id = $1 ORDER BY x.seq`,
      [referralId],
    );
    return rows as ExchangeRow[];
  }
  const settled = (referralId: string, timeoutMs = 45_000) =>
    waitFor(
      async () => {
        const rows = await exchanges(referralId);
        return rows.length > 0 && rows.every((x) => !UNSETTLED.includes(x.status)) ? rows : undefined;
      },
      { what: `exchanges of ${referralId} settled`, timeoutMs, intervalMs: 100 },
    );

  const countAt = async (server: Sandbox, type: Resource['resourceType'], kind: string, value: string) =>
    (await server.search(type, { identifier: ident(kind, value) })).length;
  /** Business statuses of the Task's versions, oldest first, consecutive repeats collapsed. */
  async function taskHistory(server: Sandbox, referralId: string): Promise<string[]> {
    const [task] = await server.search<Task>('Task', { identifier: ident('referral-task', referralId) });
    const versions = (await server.history<Task>('Task', task!.id!)).reverse();
    const codes = versions.map((v) => v.businessStatus?.coding?.[0]?.code ?? v.status);
    return codes.filter((c, i) => c !== codes[i - 1]);
  }
  /** The GP's documents about this person (Composition subject by NHS number). */
  async function gpDocuments(nhs: string): Promise<Bundle[]> {
    const docs = await e().gp.search<Bundle>('Bundle');
    return docs.filter(
      (d) => (d.entry?.[0]?.resource as Composition | undefined)?.subject?.identifier?.value === nhs,
    );
  }
  const sectionTitles = (doc: Bundle) =>
    ((doc.entry?.[0]?.resource as Composition | undefined)?.section ?? []).map((s) => s.title ?? '');

  return {
    navigator,
    taskFor,
    referralIdOf,
    refer,
    agreeSharing,
    journey,
    exchanges,
    settled,
    countAt,
    taskHistory,
    gpDocuments,
    sectionTitles,
  };
}
