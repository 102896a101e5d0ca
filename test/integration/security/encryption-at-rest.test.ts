// Encryption at rest, end to end: records carrying markers go through the navigator API, the workers,
// a partner that answers with an error quoting them (a dead letter) and a mapping that fails (a kept
// failure). Rows written before sealing (plaintext) and rows under the old key are resealed online by
// `navbridge keys rotate` while the service keeps taking and delivering records; every row still reads
// after it, the old key can be retired, and a pg_dump of the schema holds no marker anywhere.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Referral } from '../../../src/records/index.js';
import { closeDb, type Db, openDb } from '../../../src/store/db.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { getFailure } from '../../../src/store/failures.js';
import { getRecord } from '../../../src/store/records.js';
import { SEALED_COLUMNS } from '../../../src/store/rotation.js';
import { localKeyProvider } from '../../../src/store/sealing.js';
import {
  createTestDb,
  TEST_DATABASE_URL,
  TEST_MASTER_KEY,
  TEST_MASTER_KEYS,
  type TestDb,
  unseal,
} from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';
import { writeTempConfig } from '../../support/processes.js';
import { dumpPrefix } from '../../support/redis.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { waitFor } from '../../support/wait.js';
import { trustAndGp } from './partners.js';

const run = promisify(execFile);
const letters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
/** Letters only, so it fits a family name as well as free text. */
const MARK = `Phimark${letters(10)}`;
const SITE_KEY = `site-key-leeds-${randomUUID()}`;
const CARDIFF_KEY = `site-key-cardiff-${randomUUID()}`;
const K2 = randomBytes(32);
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Shipped mappings, except that a cardiff-vale referral maps to an invalid Task (its mapping fails). */
function mappingsFailingCardiff(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-seal-'));
  cpSync('mappings', path.join(dir, 'mappings'), { recursive: true });
  const file = path.join(dir, 'mappings/sites/cardiff-vale/referral.yaml');
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  lines[lines.length - 1] = '      $ ~> | $ | {"status": "not-a-status"} |';
  writeFileSync(file, `${lines.join('\n')}\n`);
  return path.join(dir, 'mappings');
}

function markedReferral(site: 'leeds-north' | 'cardiff-vale', nhs: string): Referral {
  const r = recordFixture<Referral>('referral');
  r.id = `REF-${randomUUID().slice(0, 8)}`;
  r.site = site;
  r.referrer.odsCode = 'RGD';
  r.person.nhsNumber = nhs;
  r.person.identifiers = [{ system: 'nhs-number', value: nhs, verified: true }];
  r.person.name.family = MARK;
  r.reason = `Low mood; ${MARK} says the rent is the worry.`;
  if (site === 'cardiff-vale') {
    r.person.gpPracticeOds = 'W97001';
    r.person.address = { lines: ['1 Queen Street'], city: 'Cardiff', postcode: 'CF10 2BU' };
  }
  return r;
}

describe('encryption at rest: sealed columns, online rotation, no plaintext in a dump', () => {
  let t: TestDb;
  let trust: PartnerServer;
  let gp: PartnerServer;
  let mappingsDir: string;
  let nb: TestNavbridge | undefined;
  const handles: Db[] = [];
  const nhsNumbers: string[] = [];
  const ids: { deadLetter?: string; failure?: string; referral?: string } = {};

  const partners = () => trustAndGp(trust.url, gp.url);
  const build = async (db: TestDb) =>
    buildTestNavbridge({
      db,
      delivery: 'workers',
      mappingsDir,
      partners: partners(),
      config: {
        apiKeys: [
          { id: 'leeds-case-system', site: 'leeds-north', sha256: sha(SITE_KEY) },
          { id: 'cardiff-case-system', site: 'cardiff-vale', sha256: sha(CARDIFF_KEY) },
        ],
      },
    });
  const submit = (app: TestNavbridge['app'], key: string, record: Referral) =>
    request(app).post('/api/v1/records').set('X-API-Key', key).send({ recordType: 'referral', record });
  const settled = () =>
    waitFor(
      async () =>
        (
          await t.sql.query(
            `SELECT count(*)::int AS n FROM exchanges WHERE status IN ('pending', 'in-flight', 'failed')`,
          )
        ).rows[0].n === 0,
      { what: 'every exchange delivered or dead', timeoutMs: 60_000 },
    );
  const dump = async () =>
    (
      await run('pg_dump', ['--data-only', '--no-owner', '-n', t.schema, TEST_DATABASE_URL], {
        maxBuffer: 256 * 1024 * 1024,
      })
    ).stdout;
  /** A handle on the same schema with other master keys (another process's configuration). */
  const handle = (keys: Record<string, Buffer>, active: string): Db => {
    const db = openDb({
      databaseUrl: TEST_DATABASE_URL,
      schema: t.schema,
      keys: localKeyProvider(keys, active),
    });
    handles.push(db);
    return db;
  };

  beforeAll(async () => {
    [trust, gp] = await Promise.all([
      startPartnerServer({ name: 'trust' }),
      startPartnerServer({ name: 'gp' }),
    ]);
    mappingsDir = mappingsFailingCardiff();
    t = await createTestDb();
  });

  afterAll(async () => {
    await nb?.close();
    for (const h of handles) await closeDb(h);
    await t?.close();
    await Promise.all([trust?.close(), gp?.close()]);
    if (mappingsDir) rmSync(path.dirname(mappingsDir), { recursive: true, force: true });
  });

  it('seals what the API, the workers, a partner error and a failed mapping store', async () => {
    nb = await build(t);
    // The GP refuses with an answer quoting the patient at length (as partners do): a dead letter.
    const nhs = nhsNumber();
    nhsNumbers.push(nhs);
    gp.injectFaults({
      status: 422,
      outcome: {
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: 'error',
            code: 'invalid',
            details: {
              coding: [
                {
                  system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes',
                  code: 'REC_UNPROCESSABLE_ENTITY',
                },
              ],
            },
            diagnostics: `Patient ${MARK} ${nhs} not registered here. ${'Echo of the request. '.repeat(400)}`,
          },
        ],
      },
    });
    const referral = markedReferral('leeds-north', nhs);
    ids.referral = referral.id;
    expect((await submit(nb.app, SITE_KEY, referral)).status).toBe(202);
    const failing = markedReferral('cardiff-vale', nhsNumber());
    nhsNumbers.push(failing.person.nhsNumber!);
    // A broken mapping is navbridge's fault, not the caller's: answered as such, and the input kept.
    const refused = await submit(nb.app, CARDIFF_KEY, failing);
    expect(refused.body.issue[0].diagnostics).toMatch(/produced by mappings\/sites\/cardiff-vale/);
    expect(JSON.stringify(refused.body)).not.toContain(MARK);
    await settled();

    const dead = await t.sql.query(`SELECT id FROM exchanges WHERE status = 'dead'`);
    expect(dead.rows).toHaveLength(1);
    ids.deadLetter = dead.rows[0].id;
    const failures = await t.sql.query('SELECT id FROM record_failures');
    expect(failures.rows).toHaveLength(1);
    ids.failure = failures.rows[0].id;

    // Every value of every sealed column is an envelope under the active key; none holds the marker.
    for (const c of SEALED_COLUMNS) {
      const { rows } = await t.sql.query(
        `SELECT ${c.column} AS v FROM ${c.table} WHERE ${c.column} IS NOT NULL`,
      );
      for (const r of rows) {
        expect(r.v, `${c.table}.${c.column}`).toMatchObject({ 'nb:sealed': 1, kid: 'test-1' });
        expect(JSON.stringify(r.v)).not.toContain(MARK);
      }
    }
    expect(
      (await t.sql.query('SELECT count(*)::int AS n FROM exchange_attempts WHERE response IS NOT NULL'))
        .rows[0].n,
    ).toBeGreaterThan(0);
    // What navbridge reads back is whole, and the partner's answer is kept short.
    const x = await getExchange(t.db, ids.deadLetter!);
    expect(JSON.stringify(x?.payload)).toContain(MARK);
    expect(JSON.stringify(x?.lastError)).toContain(MARK);
    expect(JSON.stringify(x?.lastError).length).toBeLessThan(5_000);
    expect(x?.lastError?.issue[0]?.details?.coding?.[0]?.code).toBe('REC_UNPROCESSABLE_ENTITY');
    expect(JSON.stringify((await getFailure(t.db, ids.failure!))?.input)).toContain(MARK);
    const dumped = await dump();
    expect(dumped).toContain(ids.deadLetter!);
    expect(dumped).not.toContain(MARK);
    for (const n of nhsNumbers) expect(dumped).not.toContain(n);
    // The queues carry ids only: nothing of the records is in Redis either.
    const queued = await dumpPrefix(nb.redis!, nb.prefix);
    expect(queued).toContain(ids.deadLetter!);
    expect(queued).not.toContain(MARK);
    for (const n of nhsNumbers) expect(queued).not.toContain(n);
  });

  it('finds dead letters by NHS number (blind index), correlation id and referral id', async () => {
    const search = (body: object) =>
      request(nb!.app).post('/admin/dead-letters/search').set(ADMIN).send(body);
    const byNhs = await search({ nhsNumber: nhsNumbers[0] });
    expect(byNhs.status).toBe(200);
    expect(byNhs.body.deadLetters.map((d: { id: string }) => d.id)).toEqual([ids.deadLetter]);
    expect((await search({ nhsNumber: nhsNumbers[1] })).body.deadLetters).toEqual([]);
    const x = await getExchange(t.db, ids.deadLetter!);
    const byCorrelation = await search({ correlationId: x!.correlationId });
    expect(byCorrelation.body.deadLetters.map((d: { id: string }) => d.id)).toEqual([ids.deadLetter]);
    const byReferral = await request(nb!.app)
      .get(`/admin/dead-letters?referralId=${ids.referral}`)
      .set(ADMIN);
    expect(byReferral.body.deadLetters.map((d: { id: string }) => d.id)).toEqual([ids.deadLetter]);
    // Never in a query string, where proxies and access logs keep it.
    expect(
      (await request(nb!.app).get(`/admin/dead-letters?nhsNumber=${nhsNumbers[0]}`).set(ADMIN)).status,
    ).toBe(400);
  });

  it('keys rotate reseals plaintext and old-key rows online; every row reads after it; the old key retires', async () => {
    // Rows written before sealing existed: put part of the store back to plaintext, as an upgrade finds it.
    for (const c of SEALED_COLUMNS.filter((s) => s.table !== 'exchanges')) {
      const { rows } = await t.sql.query(
        `SELECT ctid::text AS at, ${c.column} AS v FROM ${c.table} WHERE ${c.column} IS NOT NULL`,
      );
      for (const r of rows)
        await t.sql.query(`UPDATE ${c.table} SET ${c.column} = $1::jsonb WHERE ctid = $2::tid`, [
          JSON.stringify(await unseal(r.v, c.context)),
          r.at,
        ]);
    }
    expect(await dump()).toContain(MARK);
    const before = {
      deadLetter: await getExchange(t.db, ids.deadLetter!),
      failure: (await getFailure(t.db, ids.failure!))?.input,
      record: (await getRecord(t.db, 'leeds-north', 'referral', ids.referral!))?.payload,
    };
    expect(JSON.stringify(before.record)).toContain(MARK);

    // The new key is deployed and made active; the service goes on (new process config), and the
    // rotation runs beside it while more records come in and are delivered.
    await nb!.close();
    const bothKeys = handle({ 'test-1': Buffer.from(TEST_MASTER_KEY, 'base64'), k2: K2 }, 'k2');
    nb = await build({ ...t, db: bothKeys });
    const config = writeTempConfig({
      sites: ['leeds-north', 'cardiff-vale'],
      mappingsDir,
      profilesDir: path.resolve('profiles'),
      partners: partners(),
    });
    let out = '';
    let err = '';
    const env = {
      NAVBRIDGE_CONFIG: config.file,
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: t.schema,
      NAVBRIDGE_MASTER_KEYS: `${TEST_MASTER_KEYS},k2:${K2.toString('base64')}`,
      NAVBRIDGE_MASTER_KEY_ID: 'k2',
      NAVBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
    };
    const io = {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      cwd: path.dirname(config.file),
      env,
    };
    try {
      const more = Array.from({ length: 4 }, () => {
        const n = nhsNumber();
        nhsNumbers.push(n);
        return markedReferral('leeds-north', n);
      });
      const [code, ...answers] = await Promise.all([
        main(['keys', 'rotate', '--batch', '3'], io),
        ...more.map((r) => submit(nb!.app, SITE_KEY, r)),
      ]);
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
      expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
      const report = JSON.parse(out) as {
        resealed: Record<string, number>;
        remaining: Record<string, number>;
      };
      expect(report.resealed['records.payload']).toBeGreaterThanOrEqual(1);
      expect(report.resealed['record_failures.input']).toBe(1);
      expect(report.resealed['exchanges.payload']).toBeGreaterThan(0);
      expect(Object.values(report.remaining).every((n) => n === 0)).toBe(true);
      await settled();
      out = '';
      expect(await main(['keys', 'status'], io)).toBe(0);
      const status = JSON.parse(out) as Record<string, Record<string, number>>;
      for (const [column, counts] of Object.entries(status))
        expect({ column, kids: Object.keys(counts) }).toEqual({
          column,
          kids: Object.keys(counts).length ? ['k2'] : [],
        });
    } finally {
      config.remove();
    }

    // Only the new key from here: the old one is retired, and everything still opens.
    const onlyK2 = handle({ k2: K2 }, 'k2');
    const after = {
      deadLetter: await getExchange(onlyK2, ids.deadLetter!),
      failure: (await getFailure(onlyK2, ids.failure!))?.input,
      record: (await getRecord(onlyK2, 'leeds-north', 'referral', ids.referral!))?.payload,
    };
    expect({ ...after, deadLetter: { ...after.deadLetter, updatedAt: null } }).toEqual({
      ...before,
      deadLetter: { ...before.deadLetter, updatedAt: null },
    });
    const shown = await request(nb!.app).get(`/admin/exchanges/${ids.deadLetter}`).set(ADMIN);
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body.payload)).toContain(MARK);

    const dumped = await dump();
    expect(dumped).toContain(ids.deadLetter!);
    expect(dumped).not.toContain(MARK);
    for (const n of nhsNumbers) expect(dumped).not.toContain(n);
  });
});
