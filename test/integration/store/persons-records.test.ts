import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { personKey, resolvePerson } from '../../../src/store/persons.js';
import {
  getPreviousVersion,
  getRecord,
  getReferralAndRecord,
  saveRecord,
  VersionConflictError,
} from '../../../src/store/records.js';
import { getReferralRow } from '../../../src/store/referrals.js';
import { createTestDb, type TestDb } from '../../support/db.js';

const SECRET = 'test-person-key-secret-0123456789';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

describe('persons', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  const resolve = (ids: Parameters<typeof resolvePerson>[2]) =>
    inTransaction(t.db, (c) => resolvePerson(c, SECRET, ids));

  it('matches the same verified NHS number to the same person, and stores no plain identifier', async () => {
    const a = await resolve([{ system: NHS, value: '9434765919', verified: true }]);
    const b = await resolve([{ system: NHS, value: '943 476 5919', verified: true }]);
    expect(b).toBe(a);
    const { rows } = await t.sql.query('SELECT key FROM person_keys WHERE person_id = $1', [a]);
    expect(rows.map((r) => r.key)).toEqual([personKey(SECRET, { system: NHS, value: '9434765919' })]);
    expect(JSON.stringify(rows)).not.toContain('9434765919');
  });

  it('the key depends on the secret (keyed HMAC, not a plain hash)', () => {
    expect(personKey(SECRET, { system: NHS, value: '9434765919' })).not.toBe(
      personKey(`${SECRET}x`, { system: NHS, value: '9434765919' }),
    );
  });

  it('unverified identifiers never match: each such person is new', async () => {
    const a = await resolve([{ system: NHS, value: '9434765870', verified: false }]);
    const b = await resolve([{ system: NHS, value: '9434765870', verified: false }]);
    expect(a).not.toBe(b);
    expect(await resolve([])).not.toBe(a);
  });

  it('a new verified identifier joins the person another one names; two people: the older is chosen', async () => {
    const ods = 'https://fhir.nhs.uk/Id/local-patient';
    const a = await resolve([{ system: NHS, value: '9000000009', verified: true }]);
    const both = await resolve([
      { system: ods, value: 'L-1', verified: true },
      { system: NHS, value: '9000000009', verified: true },
      { system: NHS, value: '900 000 0009', verified: true },
    ]);
    expect(both).toBe(a);
    const keysOf = async (id: string) =>
      (await t.sql.query('SELECT key FROM person_keys WHERE person_id = $1 ORDER BY key', [id])).rows.map(
        (r) => r.key,
      );
    expect(await keysOf(a)).toEqual(
      [
        personKey(SECRET, { system: NHS, value: '9000000009' }),
        personKey(SECRET, { system: ods, value: 'L-1' }),
      ].sort(),
    );
    const b = await resolve([{ system: ods, value: 'L-2', verified: true }]);
    expect(b).not.toBe(a);
    // Keys naming two people: the older person is chosen; a key already naming someone stays theirs.
    expect(
      await resolve([
        { system: ods, value: 'L-2', verified: true },
        { system: ods, value: 'L-1', verified: true },
      ]),
    ).toBe(a);
    expect(await keysOf(b)).toEqual([personKey(SECRET, { system: ods, value: 'L-2' })]);
  });

  it('the same new person arriving twice at once is one person', async () => {
    const id = { system: NHS, value: '9000000017', verified: true };
    const [a, b, c] = await Promise.all([resolve([id]), resolve([id]), resolve([id])]);
    expect(new Set([a, b, c]).size).toBe(1);
    const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM person_keys WHERE person_id = $1', [
      a,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('rejects a short secret', async () => {
    await expect(inTransaction(t.db, (c) => resolvePerson(c, 'short', []))).rejects.toThrow(/at least 16/);
  });
});

describe('records by version', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t.close());

  const base = {
    site: 'leeds-north',
    recordType: 'support-plan',
    sourceId: 'plan-1',
    referralId: 'ref-1',
    personId: null,
  };
  const save = (version: number, payload: unknown) =>
    inTransaction(t.db, (c) => saveRecord(c, { ...base, version, payload }));

  it('inserts, detects unchanged resends, refuses changed content under the same version, flags stale', async () => {
    expect(await save(1, { goals: ['a', 'b'] })).toBe('inserted');
    expect(await save(1, { goals: ['a', 'b'] })).toBe('duplicate');
    await expect(save(1, { goals: ['a'] })).rejects.toBeInstanceOf(VersionConflictError);
    expect(await save(3, { goals: ['a'] })).toBe('inserted');
    expect(await save(2, { goals: ['b'] })).toBe('stale');
    expect((await getRecord(t.db, 'leeds-north', 'support-plan', 'plan-1'))?.version).toBe(3);
    expect((await getPreviousVersion(t.db, 'leeds-north', 'support-plan', 'plan-1', 3))?.payload).toEqual({
      goals: ['b'],
    });
  });

  it("writes the referral row's change with a new latest version only, in the same statement", async () => {
    const update = (taskStatus: string, hasPlan = false) => ({
      site: 'leeds-north',
      referralId: 'ref-7',
      personId: null,
      taskStatus,
      businessStatus: taskStatus,
      hasPlan,
      receivedAt: new Date('2026-12-02T09:00:00Z'),
    });
    const saveWith = (version: number, payload: unknown, taskStatus: string, hasPlan = false) =>
      inTransaction(t.db, (c) =>
        saveRecord(
          c,
          { ...base, sourceId: 'plan-7', referralId: 'ref-7', version, payload },
          update(taskStatus, hasPlan),
        ),
      );
    const state = async () => (await getReferralRow(t.db, 'leeds-north', 'ref-7'))?.taskStatus;
    expect(await saveWith(2, { goals: ['a'] }, 'accepted')).toBe('inserted');
    expect(await state()).toBe('accepted');
    // A resend of the same version, and an older version: the row is not touched.
    expect(await saveWith(2, { goals: ['a'] }, 'on-hold')).toBe('duplicate');
    expect(await saveWith(1, { goals: ['b'] }, 'on-hold')).toBe('stale');
    expect(await state()).toBe('accepted');
    // A changed version 2 is refused, and its change is not written either.
    await expect(saveWith(2, { goals: ['c'] }, 'on-hold')).rejects.toBeInstanceOf(VersionConflictError);
    expect(await state()).toBe('accepted');
    expect(await saveWith(3, { goals: ['c'] }, 'on-hold', true)).toBe('inserted');
    expect(await getReferralRow(t.db, 'leeds-north', 'ref-7')).toMatchObject({
      taskStatus: 'on-hold',
      onHold: true,
      hasPlan: true,
      status: 'open',
    });
  });

  it("reads a referral's row and its latest referral record in one: either may be missing", async () => {
    expect(await getReferralAndRecord(t.db, 'leeds-north', 'ref-9')).toEqual({
      row: undefined,
      record: undefined,
    });
    const ref = (version: number) =>
      inTransaction(t.db, (c) =>
        saveRecord(c, {
          ...base,
          recordType: 'referral',
          sourceId: 'ref-9',
          referralId: 'ref-9',
          version,
          payload: { v: version },
        }),
      );
    await ref(1);
    await ref(2);
    expect(await getReferralAndRecord(t.db, 'leeds-north', 'ref-9')).toEqual({
      row: undefined,
      record: await getRecord(t.db, 'leeds-north', 'referral', 'ref-9'),
    });
    expect((await getReferralAndRecord(t.db, 'leeds-north', 'ref-9')).record).toMatchObject({
      version: 2,
      payload: { v: 2 },
      recordType: 'referral',
      sourceId: 'ref-9',
      site: 'leeds-north',
    });
    // The row as an event about the referral writes it (the referral record stays at version 2).
    await inTransaction(t.db, (c) =>
      saveRecord(
        c,
        {
          ...base,
          recordType: 'event',
          sourceId: 'ev-9',
          referralId: 'ref-9',
          version: 1,
          payload: { e: 1 },
        },
        {
          site: 'leeds-north',
          referralId: 'ref-9',
          personId: null,
          taskStatus: 'accepted',
          businessStatus: 'accepted',
          receivedAt: new Date('2026-12-01T10:00:00Z'),
          replyTo: 'https://fhir.nhs.uk/Id/dos-service-id|1',
        },
      ),
    );
    const both = await getReferralAndRecord(t.db, 'leeds-north', 'ref-9');
    expect(both.record?.payload).toEqual({ v: 2 });
    expect(both.row).toMatchObject({ referralId: 'ref-9', status: 'open', taskStatus: 'accepted' });
    expect(both.row).toEqual(await getReferralRow(t.db, 'leeds-north', 'ref-9'));
    // Another site's referral of the same id is not this one.
    expect(await getReferralAndRecord(t.db, 'york', 'ref-9')).toEqual({ row: undefined, record: undefined });
  });
});
