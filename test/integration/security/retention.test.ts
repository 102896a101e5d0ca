// Retention per data class: payloads of finished exchanges, inbound bodies and remapped failures past
// their days are deleted in batches by `navbridge prune` and by the workers' scheduled job; dead letters,
// open failures and recent rows keep theirs; every row, its metadata, its attempts and the audit trail stay.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Referral } from '../../../src/records/index.js';
import { inTransaction } from '../../../src/store/db.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { getFailure, keepFailure, resolveFailure } from '../../../src/store/failures.js';
import { insertInboundExchange } from '../../../src/store/inbound.js';
import { runAdminCli } from '../../support/cli.js';
import { recordFixture } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';
import { writeTempConfig } from '../../support/processes.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { trustAndGp } from './partners.js';

const OO = { resourceType: 'OperationOutcome' as const, issue: [] };

function referral(): Referral {
  const r = recordFixture<Referral>('referral');
  const nhs = nhsNumber();
  r.id = `REF-${randomUUID().slice(0, 8)}`;
  r.referrer.odsCode = 'RGD';
  r.person.nhsNumber = nhs;
  r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
  return r;
}

describe('retention: payloads go after their days, rows and the audit trail stay', () => {
  let trust: PartnerServer;
  let gp: PartnerServer;
  let nb: TestNavbridge;
  const partners = () => trustAndGp(trust.url, gp.url);
  const q = async (text: string, params: unknown[] = []) => (await nb.t.sql.query(text, params)).rows;
  const settled = () =>
    waitFor(
      async () =>
        (
          await q(
            `SELECT count(*)::int AS n FROM exchanges WHERE status IN ('pending', 'in-flight', 'failed')`,
          )
        )[0].n === 0,
      { what: 'every exchange delivered or dead', timeoutMs: 60_000 },
    );
  const submitAll = async (n: number) => {
    for (let i = 0; i < n; i++) await nb.navbridge.submitRecord(undefined, 'referral', referral());
    await settled();
  };
  /** Moves rows into the past, as the days passing would. */
  const age = (days: number, where: string) =>
    q(
      `UPDATE exchanges SET created_at = created_at - ($1::int * interval '1 day'),
              updated_at = updated_at - ($1::int * interval '1 day'),
              delivered_at = delivered_at - ($1::int * interval '1 day')
        WHERE ${where}`,
      [days],
    );

  beforeAll(async () => {
    [trust, gp] = await Promise.all([
      startPartnerServer({ name: 'trust' }),
      startPartnerServer({ name: 'gp' }),
    ]);
    nb = await buildTestNavbridge({ delivery: 'workers', partners: partners() });
  });

  afterAll(async () => {
    await nb?.close();
    await Promise.all([trust?.close(), gp?.close()]);
  });

  it('navbridge prune deletes old payloads of each class in batches and keeps the rest', async () => {
    gp.injectFaults({ status: 422 });
    await submitAll(3);
    const dead = await q(`SELECT id FROM exchanges WHERE status = 'dead'`);
    expect(dead).toHaveLength(1);
    const inbound = await inTransaction(nb.t.db, (tx) =>
      insertInboundExchange(tx, {
        partnerId: 'leeds-trust',
        site: 'leeds-north',
        recordType: 'referral',
        sourceId: 'REF-IN-1',
        version: 1,
        referralId: 'REF-IN-1',
        payload: { resourceType: 'Bundle', type: 'message', entry: [] },
      }),
    );
    const remapped = await keepFailure(nb.t.db, {
      kind: 'record',
      site: 'leeds-north',
      input: { a: 1 },
      error: OO,
    });
    await inTransaction(nb.t.db, (tx) => resolveFailure(tx, remapped, { exchanges: [] }));
    const open = await keepFailure(nb.t.db, {
      kind: 'record',
      site: 'leeds-north',
      input: { b: 2 },
      error: OO,
    });
    // Everything but one delivered exchange is 100 days old; the failures 40 days.
    const recent = (
      await q(`SELECT id FROM exchanges WHERE status = 'delivered' ORDER BY seq DESC LIMIT 1`)
    )[0].id;
    await age(100, `id <> '${recent}'`);
    await q(`UPDATE record_failures SET updated_at = now() - interval '40 days'`);
    const oldDelivered = (
      await q(`SELECT id FROM exchanges WHERE status = 'delivered' AND id <> $1`, [recent])
    ).map((r) => r.id as string);
    expect(oldDelivered.length).toBeGreaterThanOrEqual(3);
    const attemptsBefore = (await q('SELECT count(*)::int AS n FROM exchange_attempts'))[0].n;

    const config = writeTempConfig({
      sites: ['leeds-north', 'cardiff-vale'],
      mappingsDir: path.resolve('mappings'),
      profilesDir: path.resolve('profiles'),
      partners: partners(),
      retention: { deliveredPayloadDays: 90, inboundBodyDays: 90, failedRecordDays: 30, batchRows: 2 },
    });
    let out = '';
    try {
      const run = await runAdminCli(['prune'], {
        schema: nb.t.schema,
        config: config.file,
        cwd: path.dirname(config.file),
      });
      out = run.stdout;
      expect({ code: run.code, err: run.stderr }).toEqual({ code: 0, err: '' });
    } finally {
      config.remove();
    }
    expect(JSON.parse(out)).toEqual({
      deliveredPayloads: oldDelivered.length,
      inboundBodies: 1,
      failedRecords: 1,
    });

    for (const id of [...oldDelivered, inbound]) {
      const x = await getExchange(nb.t.db, id);
      expect(x).toMatchObject({ id, payload: null });
      expect(x?.status).toMatch(/delivered|received/);
    }
    const pruned = await q(
      'SELECT payload_pruned_at, referral_id, resource_keys, categories FROM exchanges WHERE id = ANY($1::uuid[])',
      [oldDelivered],
    );
    for (const r of pruned) {
      expect(r.payload_pruned_at).toBeInstanceOf(Date);
      expect(r.referral_id).toBeTruthy();
      expect(r.resource_keys.length).toBeGreaterThan(0);
    }
    // Attempts stay (status, timing), without what the partner answered.
    expect((await q('SELECT count(*)::int AS n FROM exchange_attempts'))[0].n).toBe(attemptsBefore);
    expect(
      (
        await q(
          'SELECT count(*)::int AS n FROM exchange_attempts WHERE exchange_id = ANY($1::uuid[]) AND response IS NOT NULL',
          [oldDelivered],
        )
      )[0].n,
    ).toBe(0);
    // Kept: the recent delivery, the dead letter (still to be acted on), the open failure.
    expect((await getExchange(nb.t.db, recent))?.payload).not.toBeNull();
    const deadLetter = await getExchange(nb.t.db, dead[0].id);
    expect(deadLetter?.payload).not.toBeNull();
    expect(deadLetter?.lastError).not.toBeNull();
    expect((await getFailure(nb.t.db, open))?.input).toEqual({ b: 2 });
    expect((await getFailure(nb.t.db, remapped))?.input).toBeNull();
    // The admin still sees the exchange (metadata and attempts), and the audit trail says what went.
    const shown = await nb.navbridge.showExchange(ADMIN, oldDelivered[0]!);
    expect(shown).toMatchObject({ payload: null, status: 'delivered' });
    expect(shown.payloadPrunedAt).toBeInstanceOf(Date);
    expect(shown.attempts.length).toBeGreaterThan(0);
    const audited = await q(`SELECT actor, detail FROM audit_log WHERE action = 'prune'`);
    expect(audited).toEqual([
      {
        actor: expect.stringMatching(/^cli:/),
        detail: { deliveredPayloads: oldDelivered.length, inboundBodies: 1, failedRecords: 1 },
      },
    ]);
  });

  it('the workers prune on their schedule', async () => {
    await submitAll(2);
    const fresh = (
      await q(`SELECT id FROM exchanges WHERE status = 'delivered' AND payload IS NOT NULL`)
    ).map((r) => r.id as string);
    await age(10, `id = ANY('{${fresh.join(',')}}'::uuid[])`);
    const w = nb.startWorkers({
      retention: {
        deliveredPayloadDays: 7,
        inboundBodyDays: 7,
        failedRecordDays: 7,
        batchRows: 1,
        intervalMs: 200,
      },
    });
    try {
      await waitFor(
        async () =>
          (
            await q(
              `SELECT count(*)::int AS n FROM exchanges WHERE id = ANY($1::uuid[]) AND payload IS NULL`,
              [fresh],
            )
          )[0].n === fresh.length,
        { what: 'the scheduled job pruned the aged payloads', timeoutMs: 30_000 },
      );
    } finally {
      await w.close();
    }
    expect(
      (await q(`SELECT actor FROM audit_log WHERE action = 'prune' ORDER BY id`)).map((r) => r.actor),
    ).toContain('worker:retention');
    // Nothing younger than the policy went.
    expect(
      (await q(`SELECT count(*)::int AS n FROM exchanges WHERE status = 'dead' AND payload IS NULL`))[0].n,
    ).toBe(0);
  });
});
