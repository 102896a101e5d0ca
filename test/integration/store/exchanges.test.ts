import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimExchange,
  findQueuedHeads,
  finishAttempt,
  releaseExpiredLeases,
  renewLease,
} from '../../../src/store/claims.js';
import { inTransaction, type Tx } from '../../../src/store/db.js';
import {
  discardDeadLetter,
  listDeadLetters,
  type ReopenResult,
  replayDeadLetter,
} from '../../../src/store/dead-letters.js';
import {
  getExchange,
  insertOutbound,
  type NewOutboundExchange,
  type QueueJob,
  supersedeReferral,
} from '../../../src/store/exchanges.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { insertPersons, outboundExchange } from '../../support/exchanges.js';

const OO = { resourceType: 'OperationOutcome' as const, issue: [] };

describe('exchange store: ordering, claims, supersede, dead letters', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  const person = async (): Promise<string> => (await insertPersons(t))[0]!;
  /** An event exchange to trust-a for the person (test/support/exchanges.ts); `over` wins. */
  const x = outboundExchange;

  const insert = (n: NewOutboundExchange) => inTransaction(t.db, (c) => insertOutbound(c, n));
  /** An exchange's attempts (number, outcome) and the detail of each claim's deliver-start audit row. */
  const claimTrail = async (id: string) => {
    const attempts = await t.sql.query(
      'SELECT attempt_no, outcome FROM exchange_attempts WHERE exchange_id = $1 ORDER BY attempt_no',
      [id],
    );
    const starts = await t.sql.query(
      `SELECT detail FROM audit_log WHERE target_id = $1 AND action = 'deliver-start' ORDER BY seq`,
      [id],
    );
    return { attempts: attempts.rows, starts: starts.rows.map((r) => r.detail) };
  };
  /** Replay or discard in a transaction of its own; the jobs, or why nothing was done. */
  const reopened = async (fn: (tx: Tx) => Promise<ReopenResult>): Promise<QueueJob[]> => {
    const r = await inTransaction(t.db, fn);
    if (r.kind !== 'done') throw new Error(r.kind === 'not-dead' ? `${r.status}, not dead` : 'not found');
    return r.jobs;
  };

  async function deliver(job: QueueJob): Promise<QueueJob[]> {
    const claim = await claimExchange(t.db, job.exchangeId, job.token, 60_000);
    if (!claim) throw new Error('claim failed');
    const done = await finishAttempt(t.db, claim, { outcome: 'delivered', httpStatus: 200, durationMs: 5 });
    if (!done) throw new Error('lost claim');
    return done.jobs;
  }

  it('queues only the head of each person sequence, then the next one on delivery', async () => {
    const p = await person();
    const a = await insert(x(p));
    const b = await insert(x(p));
    expect(a.jobs).toHaveLength(1);
    expect(b.jobs).toHaveLength(0);
    expect(b.exchange.status).toBe('pending');
    const next = await deliver(a.jobs[0]!);
    expect(next.map((j) => j.exchangeId)).toEqual([b.exchange.id]);
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('delivered');
  });

  it('different people are queued in parallel', async () => {
    const [p1, p2] = [await person(), await person()];
    const a = await insert(x(p1));
    const b = await insert(x(p2));
    expect(a.jobs).toHaveLength(1);
    expect(b.jobs).toHaveLength(1);
  });

  it('a stale job (token moved on) cannot claim, and a claim is exclusive while its lease lasts', async () => {
    const p = await person();
    const a = await insert(x(p));
    const job = a.jobs[0]!;
    expect(await claimExchange(t.db, job.exchangeId, 'tbogus', 60_000)).toBeUndefined();
    const c1 = await claimExchange(t.db, job.exchangeId, job.token, 60_000);
    expect(c1).toBeDefined();
    expect(await claimExchange(t.db, job.exchangeId, job.token, 60_000)).toBeUndefined();
    const done = await finishAttempt(t.db, c1!, { outcome: 'delivered', durationMs: 1 });
    expect(done).toBeDefined();
    expect(await claimExchange(t.db, job.exchangeId, job.token, 60_000)).toBeUndefined();
  });

  it('after a crash the expired lease is released and the retry reuses the X-Request-Id', async () => {
    const p = await person();
    const a = await insert(x(p));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 1);
    await new Promise((r) => setTimeout(r, 20));
    const released = await releaseExpiredLeases(t.db);
    const mine = released.find((j) => j.exchangeId === a.exchange.id);
    expect(mine).toBeDefined();
    // The crashed worker's late outcome is refused: it no longer holds the claim.
    expect(await finishAttempt(t.db, c1!, { outcome: 'delivered', durationMs: 1 })).toBeUndefined();
    const c2 = await claimExchange(t.db, a.exchange.id, mine!.token, 60_000);
    expect(c2?.requestId).toBe(c1?.requestId);
    expect(c2?.attemptNo).toBe(2);
    const { attempts, starts } = await claimTrail(a.exchange.id);
    expect(attempts).toEqual([
      { attempt_no: 1, outcome: 'abandoned' },
      { attempt_no: 2, outcome: null },
    ]);
    // Each claim's audit row (written by the claim's own statement): the attempt and its request id.
    expect(starts).toEqual([
      { partner: a.exchange.partnerId, attempt: 1, requestId: c1!.requestId },
      { partner: a.exchange.partnerId, attempt: 2, requestId: c1!.requestId },
    ]);
  });

  it('a claim that takes over an expired lease marks the open attempt abandoned, and its audit row says so', async () => {
    const p = await person();
    const a = await insert(x(p));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 1);
    await new Promise((r) => setTimeout(r, 20));
    // No sweeper in between: the job runs again (BullMQ stalled it) and finds the lease expired.
    const c2 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    expect(c2?.attemptNo).toBe(2);
    const { attempts, starts } = await claimTrail(a.exchange.id);
    expect(attempts).toEqual([
      { attempt_no: 1, outcome: 'abandoned' },
      { attempt_no: 2, outcome: null },
    ]);
    expect(starts).toEqual([
      { partner: a.exchange.partnerId, attempt: 1, requestId: c1!.requestId },
      { partner: a.exchange.partnerId, attempt: 2, requestId: c1!.requestId, abandoned: 1 },
    ]);
  });

  it('a renewed lease is not released by the sweeper; a lost claim cannot be renewed', async () => {
    const p = await person();
    const a = await insert(x(p));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 50);
    expect(await renewLease(t.db, c1!, 60_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect((await releaseExpiredLeases(t.db)).map((j) => j.exchangeId)).not.toContain(a.exchange.id);
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('in-flight');
    await finishAttempt(t.db, c1!, { outcome: 'delivered', durationMs: 1 });
    expect(await renewLease(t.db, c1!, 60_000)).toBe(false);
  });

  it('an attempt on the wire when its referral is withdrawn is superseded if it fails, not retried', async () => {
    const p = await person();
    const a = await insert(x(p, { referralId: 'ref-wd' }));
    const b = await insert(x(p, { referralId: 'ref-other' }));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    await inTransaction(t.db, (c) => supersedeReferral(c, 'leeds-north', 'ref-wd', 'referral withdrawn'));
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('in-flight');
    const res = await finishAttempt(t.db, c1!, {
      outcome: 'retry',
      httpStatus: 503,
      errorClass: 'http-503',
      error: OO,
      durationMs: 1,
      retryAt: new Date(Date.now() + 1000),
    });
    const after = await getExchange(t.db, a.exchange.id);
    expect(after?.status).toBe('superseded');
    expect(after?.statusReason).toBe('referral withdrawn');
    // No retry of the withdrawn exchange; the person's next exchange goes instead.
    expect(res?.jobs.map((j) => j.exchangeId)).toEqual([b.exchange.id]);
  });

  it('a transient failure schedules a retry with a new token and the same request id', async () => {
    const p = await person();
    const a = await insert(x(p));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    const retryAt = new Date(Date.now() + 1000);
    const res = await finishAttempt(t.db, c1!, {
      outcome: 'retry',
      httpStatus: 503,
      errorClass: 'http-503',
      error: OO,
      durationMs: 3,
      retryAt,
    });
    expect(res?.jobs).toHaveLength(1);
    expect(res!.jobs[0]!.token).not.toBe(a.jobs[0]!.token);
    expect(res!.jobs[0]!.notBefore?.getTime()).toBe(retryAt.getTime());
    const c2 = await claimExchange(t.db, a.exchange.id, res!.jobs[0]!.token, 60_000);
    expect(c2?.requestId).toBe(c1?.requestId);
  });

  it('a dead exchange blocks later ones for that person only; replay delivers them in order', async () => {
    const [p, other] = [await person(), await person()];
    const a = await insert(x(p));
    const b = await insert(x(p));
    const o = await insert(x(other));
    const c = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    await finishAttempt(t.db, c!, {
      outcome: 'dead',
      httpStatus: 422,
      errorClass: 'http-422',
      error: OO,
      durationMs: 1,
    });
    expect((await getExchange(t.db, b.exchange.id))?.status).toBe('blocked');
    const late = await insert(x(p));
    expect(late.exchange.status).toBe('blocked');
    expect(late.jobs).toEqual([]);
    expect(o.jobs).toHaveLength(1);

    const dead = await listDeadLetters(t.db, { partnerId: 'trust-a', reason: 'http-422' });
    const row = dead.find((d) => d.id === a.exchange.id);
    expect(row?.blockedBehind).toBe(2);

    const before = (await getExchange(t.db, a.exchange.id))!;
    const jobs = await reopened((tx) => replayDeadLetter(tx, a.exchange.id, { actor: 'admin-1' }));
    expect(jobs.map((j) => j.exchangeId)).toEqual([a.exchange.id]);
    const after = (await getExchange(t.db, a.exchange.id))!;
    expect(after.requestId).not.toBe(before.requestId);
    expect(after.correlationId).toBe(before.correlationId);
    expect((await getExchange(t.db, b.exchange.id))?.status).toBe('pending');
    const n1 = await deliver(jobs[0]!);
    expect(n1.map((j) => j.exchangeId)).toEqual([b.exchange.id]);
    const n2 = await deliver(n1[0]!);
    expect(n2.map((j) => j.exchangeId)).toEqual([late.exchange.id]);
    // Every delivery attempt and the replay are in the trail, in order.
    const { rows } = await t.sql.query(
      `SELECT action, actor, outcome FROM audit_log WHERE target_id = $1 ORDER BY seq`,
      [a.exchange.id],
    );
    expect(rows).toEqual([
      { action: 'deliver-start', actor: 'worker', outcome: 'success' },
      { action: 'deliver', actor: 'worker', outcome: 'failure' },
      { action: 'replay', actor: 'admin-1', outcome: 'success' },
      { action: 'deliver-start', actor: 'worker', outcome: 'success' },
      { action: 'deliver', actor: 'worker', outcome: 'success' },
    ]);
  });

  it('discarding a dead exchange releases the next one', async () => {
    const p = await person();
    const a = await insert(x(p));
    const b = await insert(x(p));
    const c = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    await finishAttempt(t.db, c!, { outcome: 'dead', errorClass: 'http-400', error: OO, durationMs: 1 });
    const jobs = await reopened((tx) =>
      discardDeadLetter(tx, a.exchange.id, { actor: 'admin-1' }, 'sent to wrong partner'),
    );
    expect(jobs.map((j) => j.exchangeId)).toEqual([b.exchange.id]);
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('discarded');
    await expect(reopened((tx) => replayDeadLetter(tx, a.exchange.id, { actor: 'admin-1' }))).rejects.toThrow(
      /not dead/,
    );
  });

  it('a newer version of a state resource supersedes undelivered older ones; an older arrival is superseded', async () => {
    const p = await person();
    const head = await insert(x(p)); // an event occupying the head
    const v1 = await insert(
      x(p, { recordType: 'support-plan', sourceId: 'plan-1', version: 1, stateKey: 'plan-1' }),
    );
    const v2 = await insert(
      x(p, { recordType: 'support-plan', sourceId: 'plan-1', version: 2, stateKey: 'plan-1' }),
    );
    expect((await getExchange(t.db, v1.exchange.id))?.status).toBe('superseded');
    const old = await insert(
      x(p, { recordType: 'support-plan', sourceId: 'plan-1', version: 1, stateKey: 'plan-1' }),
    );
    expect(old.exchange.status).toBe('superseded');
    const next = await deliver(head.jobs[0]!);
    expect(next.map((j) => j.exchangeId)).toEqual([v2.exchange.id]);
  });

  // Order safety: an attempt whose outcome is unknown (no answer came) may still be applied by the
  // partner, so its exchange is retried — never superseded — before the person's next one may go.
  const timedOut = (retryAt = new Date(Date.now() + 60_000)) => ({
    outcome: 'retry' as const,
    errorClass: 'timeout',
    error: OO,
    durationMs: 1,
    retryAt,
  });

  it('a withdrawn referral’s attempt that timed out is retried, not superseded; the next one waits', async () => {
    const p = await person();
    const a = await insert(x(p, { referralId: 'ref-wd-t' }));
    const b = await insert(x(p, { referralId: 'ref-other-t' }));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    await inTransaction(t.db, (c) => supersedeReferral(c, 'leeds-north', 'ref-wd-t', 'referral withdrawn'));
    const res = await finishAttempt(t.db, c1!, timedOut(new Date()));
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('failed');
    expect(res?.jobs.map((j) => j.exchangeId)).toEqual([a.exchange.id]);
    expect((await getExchange(t.db, b.exchange.id))?.queueToken).toBeNull();
    // Its retry is then answered with a failure: now it is superseded and the next one goes.
    const c2 = await claimExchange(t.db, a.exchange.id, res!.jobs[0]!.token, 60_000);
    const res2 = await finishAttempt(t.db, c2!, { ...timedOut(), httpStatus: 503, errorClass: 'http-503' });
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('superseded');
    expect(res2?.jobs.map((j) => j.exchangeId)).toEqual([b.exchange.id]);
  });

  it('a withdrawal after an attempt timed out leaves that exchange to be retried (marked), not superseded', async () => {
    const p = await person();
    const a = await insert(x(p, { referralId: 'ref-wd-u' }));
    const b = await insert(x(p, { referralId: 'ref-other-u' }));
    const c1 = await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 60_000);
    await finishAttempt(t.db, c1!, timedOut());
    const jobs = await inTransaction(t.db, (c) =>
      supersedeReferral(c, 'leeds-north', 'ref-wd-u', 'referral withdrawn'),
    );
    expect(jobs).toEqual([]);
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('failed');
    expect((await getExchange(t.db, b.exchange.id))?.queueToken).toBeNull();
    const { rows } = await t.sql.query('SELECT supersede_on_failure FROM exchanges WHERE id = $1', [
      a.exchange.id,
    ]);
    expect(rows[0].supersede_on_failure).toBe('referral withdrawn');
  });

  it('a withdrawn referral’s exchange whose worker died is retried after the lease, not superseded', async () => {
    const p = await person();
    const a = await insert(x(p, { referralId: 'ref-wd-l' }));
    await insert(x(p, { referralId: 'ref-other-l' }));
    await claimExchange(t.db, a.exchange.id, a.jobs[0]!.token, 20);
    await inTransaction(t.db, (c) => supersedeReferral(c, 'leeds-north', 'ref-wd-l', 'referral withdrawn'));
    await new Promise((r) => setTimeout(r, 60));
    const released = await releaseExpiredLeases(t.db);
    expect(released.map((j) => j.exchangeId)).toEqual([a.exchange.id]);
    expect((await getExchange(t.db, a.exchange.id))?.status).toBe('failed');
  });

  it('unsent exchanges are stored visibly and never queued', async () => {
    const p = await person();
    const w = await insert(
      x(p, { unsent: { status: 'withheld-no-consent', reason: 'sharing.withGp not agreed' } }),
    );
    expect(w.exchange.status).toBe('withheld-no-consent');
    expect(w.jobs).toEqual([]);
    const n = await insert(
      x(p, { partnerId: null, unsent: { status: 'no-route', reason: 'no GP partner' } }),
    );
    expect(n.exchange.status).toBe('no-route');
  });

  it('the sweeper finds queued heads that may have been lost from Redis', async () => {
    const p = await person();
    const a = await insert(x(p));
    await new Promise((r) => setTimeout(r, 30));
    const heads = await findQueuedHeads(t.db, 10);
    expect(heads.find((h) => h.exchangeId === a.exchange.id)?.token).toBe(a.jobs[0]!.token);
  });
});
