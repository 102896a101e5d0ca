// The versions a delivery attempt learned from its partner are kept by the transaction that records
// its outcome: in the same round trip as BEGIN, the sequence lock and the outcome (pipelined), in
// key order, and also when the claim was lost (they are the partner's facts, whoever holds it).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimExchange, finishAttempt } from '../../../src/store/claims.js';
import { inTransaction } from '../../../src/store/db.js';
import { insertOutbound } from '../../../src/store/exchanges.js';
import { partnerResourceStore } from '../../../src/store/partner-resources.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { insertPersons, outboundExchange } from '../../support/exchanges.js';

describe('partner versions kept with the outcome', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  const claimed = async () => {
    const p = (await insertPersons(t))[0]!;
    const x = outboundExchange(p);
    const { exchange, jobs } = await inTransaction(t.db, (c) => insertOutbound(c, x));
    const claim = await claimExchange(t.db, exchange.id, jobs[0]!.token, 60_000);
    if (!claim) throw new Error('claim failed');
    return { claim, partnerId: x.partnerId! };
  };

  it('writes them with the outcome, in one round trip with BEGIN and the lock', async () => {
    const { claim, partnerId } = await claimed();
    const learned = [
      { resourceType: 'Task', resourceId: 't-1', serverId: 'srv-t1', etag: 'W/"2"' },
      { resourceType: 'CarePlan', resourceId: 'c-1', serverId: 'srv-c1', etag: undefined },
      { resourceType: 'Task', resourceId: 't-1', serverId: 'srv-t1', etag: 'W/"3"' },
    ];
    const original = pg.Client.prototype.query;
    const unanswered: number[] = [];
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const self = this as unknown as { _activeQuery?: unknown; _sentQueryQueue: unknown[] };
      unanswered.push(self._sentQueryQueue.length + (self._activeQuery ? 1 : 0));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let done: Awaited<ReturnType<typeof finishAttempt>>;
    try {
      done = await finishAttempt(
        t.db,
        claim,
        { outcome: 'delivered', httpStatus: 200, durationMs: 3 },
        learned,
      );
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(done).toBeDefined();
    // BEGIN + lock, the versions and the outcome written back to back; then audit + COMMIT.
    expect(unanswered.slice(0, 3)).toEqual([0, 1, 2]);
    const store = partnerResourceStore(t.db, partnerId);
    const known = await store.getMany([
      { resourceType: 'Task', id: 't-1' },
      { resourceType: 'CarePlan', id: 'c-1' },
    ]);
    expect(Object.fromEntries(known)).toEqual({
      'Task/t-1': { serverId: 'srv-t1', etag: 'W/"3"' },
      'CarePlan/c-1': { serverId: 'srv-c1', etag: undefined },
    });
    const { rows } = await t.sql.query('SELECT status FROM exchanges WHERE id = $1', [claim.exchange.id]);
    expect(rows[0].status).toBe('delivered');
  });

  it('keeps them when the claim was lost, and changes nothing else then', async () => {
    const { claim, partnerId } = await claimed();
    await t.sql.query('UPDATE exchanges SET claim_token = gen_random_uuid() WHERE id = $1', [
      claim.exchange.id,
    ]);
    const done = await finishAttempt(t.db, claim, { outcome: 'delivered', httpStatus: 200, durationMs: 3 }, [
      { resourceType: 'Goal', resourceId: 'g-1', serverId: 'srv-g1', etag: 'W/"1"' },
    ]);
    expect(done).toBeUndefined();
    const known = await partnerResourceStore(t.db, partnerId).getMany([{ resourceType: 'Goal', id: 'g-1' }]);
    expect(known.get('Goal/g-1')).toEqual({ serverId: 'srv-g1', etag: 'W/"1"' });
    const { rows } = await t.sql.query('SELECT status FROM exchanges WHERE id = $1', [claim.exchange.id]);
    expect(rows[0].status).toBe('in-flight');
  });

  it('rolls the outcome back with them when they cannot be written, and says why', async () => {
    const { claim } = await claimed();
    // A server id PostgreSQL cannot store (a NUL character): the upsert fails first.
    await expect(
      finishAttempt(t.db, claim, { outcome: 'delivered', httpStatus: 200, durationMs: 3 }, [
        { resourceType: 'Goal', resourceId: 'g-2', serverId: 'bad\u0000id', etag: undefined },
      ]),
    ).rejects.toThrow(/invalid byte sequence|0x00/);
    const { rows } = await t.sql.query('SELECT status FROM exchanges WHERE id = $1', [claim.exchange.id]);
    expect(rows[0].status).toBe('in-flight');
  });
});
