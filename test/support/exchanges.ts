// Outbound exchanges straight into the store, for tests of delivery, the store and the admin API: person
// rows to sequence them by, exchange fields with defaults, inserting and queueing them the way the
// service does, dead letters, and the Task-writing transaction Bundles they usually carry.
import { randomUUID } from 'node:crypto';
import type { Bundle, Task } from 'fhir/r4.js';
import { v5 as uuidv5 } from 'uuid';
import type { QueueSet } from '../../src/delivery/queues.js';
import { claimExchange, finishAttempt } from '../../src/store/claims.js';
import { type Db, inTransaction } from '../../src/store/db.js';
import { insertOutbound, type NewOutboundExchange } from '../../src/store/exchanges.js';
import type { TestDb } from './db.js';

/** The identifier system of the Tasks that taskBundle writes. */
export const TASK_SYSTEM = 'https://navigator.example.org.uk/Id/referral-task';

/** The Task's id for a referral ref: stable, as navbridge's own ids are (UUIDv5 of what owns it). */
export const taskId = (ref: string): string => uuidv5(`task|${ref}`, TASK_NAMESPACE);
const TASK_NAMESPACE = '0b5c6f6e-6c1e-4b8a-9a57-2d8f3b9a1c44';

/**
 * A transaction Bundle that PUTs the Task identified `TASK_SYSTEM|<ref>` (conditional on the identifier),
 * in progress; with a step, businessStatus.text `step-<step>`, so a partner's history shows the order.
 */
export function taskBundle(ref: string, step?: number, id: string = taskId(ref)): Bundle {
  const task: Task = {
    resourceType: 'Task',
    id,
    identifier: [{ system: TASK_SYSTEM, value: ref }],
    status: 'in-progress',
    intent: 'order',
    ...(step === undefined ? {} : { businessStatus: { text: `step-${step}` } }),
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `urn:uuid:${id}`,
        resource: task,
        request: { method: 'PUT', url: `Task?identifier=${TASK_SYSTEM}|${ref}` },
      },
    ],
  };
}

/** Inserts `count` person rows (exchanges are ordered per partner and person) and returns their ids. */
export async function insertPersons(t: Pick<TestDb, 'sql'>, count = 1): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await t.sql.query('INSERT INTO persons (id) SELECT unnest($1::uuid[])', [ids]);
  return ids;
}

/** An event exchange for leeds-north (version 1, a fresh source id) to partner trust-a; `over` wins. */
export function outboundExchange(
  personId: string,
  over: Partial<NewOutboundExchange> = {},
): NewOutboundExchange {
  return {
    partnerId: 'trust-a',
    site: 'leeds-north',
    recordType: 'event',
    sourceId: randomUUID(),
    version: 1,
    referralId: 'ref-1',
    personId,
    payload: { resourceType: 'Bundle', type: 'collection' },
    ...over,
  };
}

/** Inserts the exchange in a transaction and queues the jobs the store answers with; its id. */
export async function queueExchange(db: Db, queues: QueueSet, x: NewOutboundExchange): Promise<string> {
  const { exchange, jobs } = await inTransaction(db, (c) => insertOutbound(c, x));
  await queues.enqueue(jobs);
  return exchange.id;
}

/** Claims a queued exchange with its job's token and fails it for good (HTTP 422): a dead letter. */
export async function failForGood(db: Db, job: { exchangeId: string; token: string }): Promise<void> {
  const claim = await claimExchange(db, job.exchangeId, job.token, 60_000);
  await finishAttempt(db, claim!, {
    outcome: 'dead',
    httpStatus: 422,
    errorClass: 'http-422',
    error: { resourceType: 'OperationOutcome', issue: [] },
    durationMs: 1,
  });
}

/** Inserts the exchange and, when it heads its person's sequence, fails it for good (HTTP 422); its id. */
export async function deadExchange(db: Db, x: NewOutboundExchange): Promise<string> {
  const { exchange, jobs } = await inTransaction(db, (c) => insertOutbound(c, x));
  if (jobs[0]) await failForGood(db, { exchangeId: exchange.id, token: jobs[0].token });
  return exchange.id;
}

/** How many of the exchanges are delivered. */
export async function deliveredCount(t: Pick<TestDb, 'sql'>, ids: readonly string[]): Promise<number> {
  const { rows } = await t.sql.query(
    `SELECT count(*)::int AS n FROM exchanges WHERE id = ANY($1) AND status = 'delivered'`,
    [ids],
  );
  return rows[0].n;
}
