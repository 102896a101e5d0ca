import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { personKey, resolvePerson } from '../../../src/store/persons.js';
import {
  getPreviousVersion,
  getRecord,
  saveRecord,
  VersionConflictError,
} from '../../../src/store/records.js';
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
});
