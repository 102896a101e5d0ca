// records.facts on a real PostgreSQL: records of every type with a marker in every name and free-text
// field go through the service, and the plain facts column holds their coded fields and no marker, NHS
// number or date of birth. An upgrade: plaintext rows get their facts from the migration (the same as
// factsOf), rows sealed before it from `keys rotate`.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeys } from '../../../src/service/keys.js';
import { closeDb, type Db, migrate, openDb } from '../../../src/store/db.js';
import { factsOf } from '../../../src/store/record-facts.js';
import { RECORD_PAYLOAD } from '../../../src/store/records.js';
import { Vault } from '../../../src/store/sealing.js';
import { migrateBefore, TEST_DATABASE_URL, testKeyProvider } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { ADMIN, buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';

const letters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
/** Letters only, so it fits a name as well as free text. */
const MARK = `Phimark${letters(10)}`;
const BIRTH_DATE = '1961-02-03';

/** The fixtures of every record type and event, in an order the service accepts. */
const FIXTURES: [string, string][] = [
  ['referral', 'referral'],
  ['event', 'event-accepted'],
  ['event', 'event-contact-attempted'],
  ['event', 'event-contacted'],
  ['assessment', 'assessment-hna'],
  ['event', 'event-assessment-completed'],
  ['support-plan', 'support-plan'],
  ['event', 'event-plan-agreed'],
  ['event', 'event-escalated'],
  ['event', 'event-outcome-recorded'],
  ['event', 'event-entered-in-error'],
  ['event', 'event-discharged'],
];

/** A fixture with the marker in each name and free-text field of its type. */
function marked(name: string, referralId: string, nhs: string): Record<string, unknown> {
  const r = recordFixture(name);
  const m = (field: string) => `${MARK}${field}`;
  if (name === 'referral') {
    r.id = referralId;
    r.person.nhsNumber = nhs;
    r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
    r.person.birthDate = BIRTH_DATE;
    r.person.name = { given: [m('Given')], family: m('Family') };
    r.person.address.lines = [m('Line')];
    r.referrer.name = m('Referrer');
    r.reason = m('Reason');
    r.risks.details = m('Risks');
    return r;
  }
  r.referralId = referralId;
  for (const f of ['summary', 'detail', 'letter', 'riskFactors']) if (f in r) r[f] = m(f);
  if (r.navigator) r.navigator.name = m('Navigator');
  for (const d of r.domains ?? []) d.notes = m('Notes');
  for (const g of r.goals ?? []) g.description = m('Goal');
  for (const o of r.onwardReferrals ?? []) {
    o.service.name = m('Service');
    o.reason = m('OnwardReason');
  }
  if (r.type === 'outcome-recorded') Object.assign(r, { measure: 'other', measureName: m('Measure') });
  if (r.type === 'entered-in-error') Object.assign(r, { recordType: 'event', recordId: 'EV-0142-06' });
  return r;
}

describe('records.facts written at insert', () => {
  let nb: TestNavbridge;
  const referralId = `REF-${randomUUID().slice(0, 8)}`;
  const nhs = nhsNumber();

  beforeAll(async () => {
    nb = await buildTestNavbridge();
    for (const [type, name] of FIXTURES) {
      const out = await nb.navbridge.submitRecord(ADMIN, type as never, marked(name, referralId, nhs));
      expect({ name, outcome: out.outcome }).toEqual({ name, outcome: 'accepted' });
    }
  }, 120_000);
  afterAll(async () => nb?.close());

  it("holds every record's coded fields, and no marker, NHS number or date of birth", async () => {
    const { rows } = await nb.t.sql.query(
      `SELECT record_type, source_id, facts, facts::text AS text FROM records WHERE referral_id = $1
        ORDER BY received_at, source_id`,
      [referralId],
    );
    expect(rows).toHaveLength(FIXTURES.length);
    for (const r of rows) {
      expect({ id: r.source_id, facts: r.facts === null ? 'missing' : 'present' }).toEqual({
        id: r.source_id,
        facts: 'present',
      });
      for (const secret of [MARK, nhs, BIRTH_DATE])
        expect({ id: r.source_id, leaks: r.text.includes(secret) }).toEqual({
          id: r.source_id,
          leaks: false,
        });
    }
    const facts = (id: string) => rows.find((r) => r.source_id === id)?.facts;
    expect(facts(referralId)).toEqual({ route: 'gp', receivedAt: '2025-03-10T14:32:05+00:00' });
    expect(facts('EV-0142-07')).toEqual({
      type: 'outcome-recorded',
      at: '2025-04-24T10:00:00+01:00',
      measure: 'other',
      score: 58,
    });
    expect(facts('EV-0142-08')).toMatchObject({ type: 'discharged', reason: 'mutual-agreement' });
    expect(facts('PLAN-0142').onward).toEqual([
      { id: 'OR1', type: 'debt-advice', service: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(facts('ASM-0142-1').domains).toContainEqual({ domain: 'accommodation', needIdentified: true });
  });
});

describe('records.facts of a store written before it', () => {
  const schema = `t_facts_${randomBytes(5).toString('hex')}`;
  const sql = new pg.Pool({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path=${schema}`,
    max: 2,
  });
  const vault = new Vault(testKeyProvider());
  let db: Db;
  const payloads = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    await migrateBefore(schema, '17335000000000_record-facts.js');
    // Every fixture twice: as plaintext (written before sealing) and sealed (before records.facts).
    for (const sealed of [false, true])
      for (const [type, name] of FIXTURES) {
        const payload = recordFixture(name);
        const id = `${sealed ? 'S' : 'P'}-${name}`;
        payloads.set(id, payload);
        await sql.query(
          `INSERT INTO records (site, record_type, source_id, version, referral_id, payload)
           VALUES ('leeds-north', $1, $2, 1, 'REF-2025-0142', $3)`,
          [type, id, sealed ? await vault.seal(payload, RECORD_PAYLOAD) : JSON.stringify(payload)],
        );
      }
    await migrate({ databaseUrl: TEST_DATABASE_URL, schema });
    db = openDb({ databaseUrl: TEST_DATABASE_URL, schema, keys: testKeyProvider() });
  }, 120_000);
  afterAll(async () => {
    await closeDb(db);
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await sql.end();
  });

  const stored = async () =>
    (await sql.query('SELECT record_type, source_id, facts FROM records ORDER BY source_id')).rows.map(
      (r) => ({
        id: r.source_id as string,
        facts: r.facts as unknown,
        expected: factsOf(r.record_type, payloads.get(r.source_id)),
      }),
    );

  it('fills plaintext rows in the migration, exactly as factsOf does, and leaves sealed rows for rotation', async () => {
    const rows = await stored();
    expect(rows).toHaveLength(2 * FIXTURES.length);
    for (const r of rows)
      expect({ id: r.id, facts: r.facts }).toEqual({
        id: r.id,
        facts: r.id.startsWith('P-') ? r.expected : null,
      });
  });

  it('fills the sealed rows when the admin rotates the keys, and reports what it filled', async () => {
    const report = await rotateKeys({ db }, ADMIN, { batchRows: 5 });
    expect(report.facts).toEqual({ filled: FIXTURES.length, remaining: 0 });
    for (const r of await stored())
      expect({ id: r.id, facts: r.facts }).toEqual({ id: r.id, facts: r.expected });
    // Done once: a second rotation has nothing to fill.
    expect((await rotateKeys({ db }, ADMIN)).facts).toEqual({ filled: 0, remaining: 0 });
  });
});
