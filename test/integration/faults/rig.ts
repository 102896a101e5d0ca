// The fault suite's rig: real `navbridge worker` processes (test/integration/resilience/harness.ts),
// one sandbox partner per delivery mode, each behind a proxy that can refuse, fail, black-hole or
// hold requests (test/support/late-proxy.ts), per-person journeys whose every step is visible at the
// partner, and the judge: for each person at each partner, the states it holds in the order they
// arrived — 0 lost, 0 duplicated, 0 reordered.
import { randomUUID } from 'node:crypto';
import type { Bundle, Composition, MessageHeader, Task } from 'fhir/r4.js';
import { expect } from 'vitest';
import { outboundExchange, queueExchange, TASK_SYSTEM, taskBundle, taskId } from '../../support/exchanges.js';
import { type LateProxy, startLateProxy } from '../../support/late-proxy.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { collapseRepeats, openRig, partnerEntry, type Rig, type RigOptions } from '../resilience/harness.js';

export type Mode = 'transaction' | 'rest' | 'message' | 'document';
export const MODES: readonly Mode[] = ['transaction', 'rest', 'message', 'document'];

const DOC_SYSTEM = 'https://navigator.example.org.uk/Id/fault-suite-document';
const MSG_SYSTEM = 'https://navigator.example.org.uk/Id/fault-suite-message';

/** One step of a person's journey as the partner's mode carries it (the step shows at the partner). */
export function payloadFor(mode: Mode, ref: string, step: number): Bundle {
  if (mode === 'transaction' || mode === 'rest') return taskBundle(ref, step);
  if (mode === 'message') {
    const task = taskBundle(ref, step).entry![0]!.resource as Task;
    const header: MessageHeader = {
      resourceType: 'MessageHeader',
      id: randomUUID(),
      eventCoding: {
        system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars',
        code: 'servicerequest-request',
      },
      source: { endpoint: 'https://navbridge.test' },
      focus: [{ reference: `urn:uuid:${taskId(ref)}` }],
    };
    return {
      resourceType: 'Bundle',
      type: 'message',
      identifier: { system: MSG_SYSTEM, value: `${ref}-${step}` },
      timestamp: new Date().toISOString(),
      entry: [
        { fullUrl: `urn:uuid:${header.id}`, resource: header },
        { fullUrl: `urn:uuid:${taskId(ref)}`, resource: task },
      ],
    };
  }
  const composition: Composition = {
    resourceType: 'Composition',
    status: 'final',
    type: { text: 'Navigation update' },
    date: new Date().toISOString(),
    author: [{ display: 'navbridge fault suite' }],
    title: `step-${step}`,
    subject: { identifier: { system: TASK_SYSTEM, value: ref } },
  };
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: DOC_SYSTEM, value: `${ref}-${step}` },
    timestamp: new Date().toISOString(),
    entry: [{ fullUrl: `urn:uuid:${randomUUID()}`, resource: composition }],
  };
}

export interface ModePartner {
  mode: Mode;
  id: string;
  server: PartnerServer;
  proxy: LateProxy;
}

export interface FaultRig extends Rig {
  partners: ModePartner[];
  /** Queues step `step` of person `personIdx` for the partner; its exchange id. */
  submitStep(p: ModePartner, personIdx: number, step: number): Promise<string>;
  /** Every proxy set to one mode at once. */
  setMode(mode: Parameters<LateProxy['setMode']>[0]): void;
}

export async function openFaultRig(
  opts: {
    modes: readonly Mode[];
    persons: number;
    partner?: Record<string, unknown>;
  } & Omit<RigOptions, 'partners'>,
): Promise<FaultRig> {
  const partners: ModePartner[] = [];
  for (const mode of opts.modes) {
    const server = await startPartnerServer({ name: `p-${mode}` });
    const proxy = await startLateProxy(server.url);
    partners.push({ mode, id: `p-${mode}`, server, proxy });
  }
  const rig = await openRig(
    {
      ...opts,
      partners: partners.map((p) =>
        partnerEntry(p.id, p.proxy.url, {
          mode: p.mode,
          timeoutMs: 1_500,
          ...(p.mode === 'message' ? { dosServiceId: '2000072489' } : {}),
          ...opts.partner,
        }),
      ),
    },
    opts.persons,
  );
  return {
    ...rig,
    partners,
    submitStep(p, personIdx, step) {
      const ref = `ref-${personIdx}`;
      return queueExchange(
        rig.t.db,
        rig.queues,
        outboundExchange(rig.persons[personIdx]!, {
          partnerId: p.id,
          sourceId: `ev-${personIdx}-${step}-${randomUUID()}`,
          referralId: ref,
          payload: payloadFor(p.mode, ref, step),
        }),
      );
    },
    setMode(mode) {
      for (const p of partners) p.proxy.setMode(mode);
    },
    async close() {
      await rig.close();
      for (const p of partners) {
        await p.proxy.close();
        await p.server.close();
      }
    },
  };
}

/** The person's steps as the partner holds them, in the order they arrived (`step-N` each). */
export async function arrivedSteps(
  p: ModePartner,
  personIdx: number,
): Promise<{ copies: number; steps: string[] }> {
  const ref = `ref-${personIdx}`;
  if (p.mode === 'document') {
    const docs = p.server
      .readAll<Bundle>('Bundle')
      .filter((b) => b.type === 'document' && b.identifier?.value?.startsWith(`${ref}-`));
    const created = p.server
      .requestLog()
      .filter((e) => e.method === 'POST' && e.path.startsWith('/Bundle') && e.status === 201)
      .map((e) => (e.body as Bundle | undefined)?.identifier?.value ?? '')
      .filter((v) => v.startsWith(`${ref}-`))
      .map((v) => `step-${v.slice(ref.length + 1)}`);
    return { copies: docs.length, steps: created };
  }
  const tasks = await p.server.search<Task>('Task', { identifier: `${TASK_SYSTEM}|${ref}` });
  if (tasks.length !== 1 || !tasks[0]?.id) return { copies: tasks.length, steps: [] };
  const history = await p.server.history<Task>('Task', tasks[0].id);
  return { copies: 1, steps: history.map((h) => h.businessStatus?.text ?? '').reverse() };
}

export interface Verdict {
  lost: number;
  duplicated: number;
  reordered: number;
}

/**
 * Judges one person's journey at one partner: every step there (none lost), once in effect (a Task
 * holds one version per step, consecutive equal re-sends aside; a document is filed once), in order.
 */
export async function judge(p: ModePartner, personIdx: number, steps: number): Promise<Verdict> {
  const seen = await arrivedSteps(p, personIdx);
  const expected = Array.from({ length: steps }, (_, i) => `step-${i + 1}`);
  const arrived = collapseRepeats(seen.steps);
  const unique = [...new Set(arrived)];
  const lost = expected.filter((s) => !unique.includes(s)).length;
  const duplicated =
    arrived.length - unique.length + (p.mode === 'document' ? Math.max(0, seen.copies - unique.length) : 0);
  const order = unique.map((s) => Number(s.slice(5)));
  const reordered = order.filter((n, i) => i > 0 && n < order[i - 1]!).length;
  return { lost, duplicated, reordered };
}

/** Judges every person at every partner and expects 0 lost, 0 duplicated, 0 reordered. */
export async function expectPerfect(
  rig: FaultRig,
  journeys: readonly number[],
  partners: readonly ModePartner[] = rig.partners,
): Promise<void> {
  for (const p of partners) {
    for (const [personIdx, steps] of journeys.entries()) {
      if (steps === 0) continue;
      const verdict = await judge(p, personIdx, steps);
      expect(verdict, `${p.mode} partner, person ${personIdx} (${steps} steps)`).toEqual({
        lost: 0,
        duplicated: 0,
        reordered: 0,
      });
    }
  }
}

/** Prints a figure for the report (the suite asserts bounds only loosely; the figures are measured). */
export function report(what: string, figures: Record<string, unknown>): void {
  console.log(`[faults] ${what} ${JSON.stringify(figures)}`);
}
