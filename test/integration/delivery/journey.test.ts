// A navigator journey through the service, store, queues and workers to two real partner FHIR servers:
// a trust (transaction mode, the referrer) and a GP practice (document mode).
import type { Bundle, CarePlan, Goal, QuestionnaireResponse, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordType } from '../../../src/records/index.js';
import { RECEIVES } from '../../../src/settings/app-config.js';
import type { TestDb } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';

const TRUST_ODS = 'RGD';
/** Another person: a different NHS number everywhere the fixture carries one. */
function asPerson(
  referral: { person: { nhsNumber?: string; identifiers?: { system: string }[] } },
  nhsNumber: string,
): void {
  referral.person.nhsNumber = nhsNumber;
  referral.person.identifiers = (referral.person.identifiers ?? []).filter(
    (i: { system: string }) => i.system !== 'nhs-number',
  );
}

describe('journey through the delivery engine', () => {
  let t: TestDb;
  let nb: TestNavbridge;
  let trust: PartnerServer;
  let gp: PartnerServer;
  let clock = new Date('2025-06-10T12:00:00Z');
  /** Submits as the navigator's case system would (through the service's door). */
  const service = {
    submit: (recordType: RecordType, input: unknown) =>
      nb.navbridge.submitRecord(undefined, recordType, input),
  };

  beforeAll(async () => {
    [trust, gp] = await Promise.all([
      startPartnerServer({ name: 'trust' }),
      startPartnerServer({ name: 'gp' }),
    ]);
    nb = await buildTestNavbridge({
      clock: () => clock,
      delivery: 'workers',
      partners: [
        {
          id: 'leeds-trust',
          name: 'Leeds trust',
          kind: 'trust',
          odsCodes: [TRUST_ODS],
          baseUrl: trust.url,
          mode: 'transaction',
          receives: [...RECEIVES],
          retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100 },
        },
        {
          id: 'chapel-allerton-gp',
          name: 'Chapel Allerton Medical Centre',
          kind: 'gp-practice',
          odsCodes: ['B86016'],
          baseUrl: gp.url,
          mode: 'document',
          receives: ['referral-status', 'assessment', 'support-plan', 'discharge'],
          retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100 },
        },
      ],
    });
    t = nb.t;
  });

  afterAll(async () => {
    await nb?.close();
    await Promise.all([trust.close(), gp.close()]);
  });

  const settled = () =>
    waitFor(
      async () => {
        const { rows } = await t.sql.query(
          `SELECT count(*)::int AS n FROM exchanges WHERE status IN ('pending', 'in-flight', 'failed')`,
        );
        return rows[0].n === 0;
      },
      { what: 'all exchanges settled', timeoutMs: 30_000 },
    );

  it('delivers referral, contact, assessment, plan versions and discharge once each, where sharing allows', async () => {
    const referral = recordFixture('referral');
    referral.referrer.odsCode = TRUST_ODS;
    const accepted = await service.submit('referral', referral);
    expect(accepted.triage).toEqual({ outcome: 'accept' });
    expect(accepted.exchanges.map((x) => [x.partnerId, x.status]).sort()).toEqual(
      [
        ['chapel-allerton-gp', 'pending'],
        ['leeds-trust', 'pending'],
      ].sort(),
    );
    await service.submit('event', recordFixture('event-contacted'));
    await service.submit('assessment', recordFixture('assessment-hna'));
    const plan = recordFixture('support-plan');
    await service.submit('support-plan', { ...plan, version: 1 });
    // Version 2 drops the last goal: it must arrive as cancelled.
    const dropped = plan.goals.at(-1).id;
    await service.submit('support-plan', { ...plan, version: 2, goals: plan.goals.slice(0, -1) });
    clock = new Date('2025-06-10T13:00:00Z');
    await service.submit('event', recordFixture('event-discharged'));
    await settled();

    const { rows: statuses } = await t.sql.query(
      `SELECT partner_id, status, count(*)::int AS n FROM exchanges GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(statuses.filter((r) => !['delivered', 'superseded'].includes(r.status))).toEqual([]);

    const allTasks = trust.readAll<Task>('Task');
    const kind = (t: Task) => t.identifier?.[0]?.system?.split('/').at(-1);
    const tasks = allTasks.filter((t) => kind(t) === 'referral-task');
    expect(tasks).toHaveLength(1);
    // Gravity: each onward referral's Task is partOf the referral Task, as the trust holds it.
    const onwardTasks = allTasks.filter((t) => kind(t) === 'support-plan-onward-task');
    expect(onwardTasks.length + tasks.length).toBe(allTasks.length);
    expect(onwardTasks).toHaveLength(plan.onwardReferrals.length);
    expect(onwardTasks.map((t) => t.partOf)).toEqual(
      onwardTasks.map(() => [expect.objectContaining({ reference: `Task/${tasks[0]?.id}` })]),
    );
    expect(tasks[0]?.status).toBe('completed');
    const history = (await trust.history<Task>('Task', tasks[0]!.id!))
      .map((h) => h.businessStatus?.coding?.[0]?.code)
      .reverse();
    expect(history[0]).toBe('accepted');
    expect(history.at(-1)).toBe('discharged');
    expect(history.indexOf('contacted')).toBeLessThan(history.indexOf('discharged'));

    // The trust owns the patient record and the directory owns organisations: neither is written.
    expect(trust.readAll('Patient')).toHaveLength(0);
    expect(trust.readAll('Organization')).toHaveLength(0);
    expect(tasks[0]?.for?.identifier?.system).toBe('https://fhir.nhs.uk/Id/nhs-number');
    expect(trust.readAll<QuestionnaireResponse>('QuestionnaireResponse')).toHaveLength(1);
    const careplans = trust.readAll<CarePlan>('CarePlan');
    expect(careplans).toHaveLength(1);
    expect(careplans[0]?.status).toBe('completed');
    const goals = trust.readAll<Goal>('Goal');
    expect(goals).toHaveLength(plan.goals.length);
    const cancelled = goals.filter((g) => g.lifecycleStatus === 'cancelled');
    expect(cancelled.map((g) => g.identifier?.[0]?.value ?? '').join()).toContain(dropped);

    const docs = gp.readAll<Bundle>('Bundle');
    expect(docs.length).toBeGreaterThan(0);
    expect(
      docs.every((d) => d.type === 'document' && d.entry?.[0]?.resource?.resourceType === 'Composition'),
    ).toBe(true);
    expect(gp.readAll('Task')).toHaveLength(0);
  });

  it('a rejected crisis referral answers the referrer with the crisis pathway and nothing else', async () => {
    const referral = recordFixture('referral');
    referral.id = 'REF-CRISIS-1';
    referral.referrer.odsCode = TRUST_ODS;
    referral.risks.inCrisis = true;
    asPerson(referral, '9434765870');
    const r = await service.submit('referral', referral);
    expect(r.triage).toEqual({ outcome: 'reject', reason: 'in-crisis' });
    await settled();
    const [task] = await trust.search<Task>('Task', {
      identifier: 'https://fhir.navbridge.org.uk/Id/leeds-north/referral-task|REF-CRISIS-1',
    });
    expect(task?.status).toBe('rejected');
    expect(task?.statusReason?.coding?.[0]?.code).toBe('in-crisis');
    // The crisis pathway travels with the rejection.
    expect(JSON.stringify(task?.note ?? [])).toContain('116 123');
  });

  it('content is withheld from a recipient without consent, visibly, and never sent', async () => {
    const referral = recordFixture('referral');
    referral.id = 'REF-NOSHARE-1';
    asPerson(referral, '4857773457');
    referral.referrer.odsCode = TRUST_ODS;
    referral.sharing = { statusUpdates: true, withReferrer: true };
    await service.submit('referral', referral);
    const asm = { ...recordFixture('assessment-hna'), id: 'ASM-NOSHARE-1', referralId: 'REF-NOSHARE-1' };
    const res = await service.submit('assessment', asm);
    const gpExchange = res.exchanges.find((x) => x.partnerId === 'chapel-allerton-gp');
    expect(gpExchange?.status).toBe('withheld-no-consent');
    await settled();
    const { rows } = await t.sql.query(
      `SELECT count(*)::int AS n FROM exchange_attempts WHERE exchange_id = $1`,
      [gpExchange!.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('answers a resend of the same version as a duplicate, and a changed same version as a conflict', async () => {
    const ev = recordFixture('event-contact-attempted');
    const first = await service.submit('event', ev);
    const again = await service.submit('event', ev);
    expect(again.outcome).toBe('duplicate');
    expect(again.exchanges.map((x) => x.id)).toEqual(first.exchanges.map((x) => x.id));
    await expect(service.submit('event', { ...ev, method: 'email' })).rejects.toMatchObject({
      code: 'REC_CONFLICT',
    });
  });

  it('rejects structurally invalid records with every problem and stores nothing', async () => {
    const before = await t.sql.query('SELECT count(*)::int AS n FROM records');
    await expect(
      service.submit('event', { id: 'X', site: 'leeds-north', version: 0, type: 'nope' }),
    ).rejects.toMatchObject({
      code: 'REC_BAD_REQUEST',
    });
    const after = await t.sql.query('SELECT count(*)::int AS n FROM records');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});
