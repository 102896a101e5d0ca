// A stored value sealed under a master key this server is not configured with (retired too early, or
// missing from one process): every read of it answers a stable 503 MASTER_KEY_UNAVAILABLE — an
// OperationOutcome on /fhir and on /api — never a 500; the log names the key id and nothing else of it;
// `keys status` counts the rows under keys not configured.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownKeyRows } from '../../../src/service/keys.js';
import { EXCHANGE_PAYLOAD } from '../../../src/store/exchanges.js';
import { RECORD_PAYLOAD } from '../../../src/store/records.js';
import { localKeyProvider, Vault } from '../../../src/store/sealing.js';
import { runAdminCli } from '../../support/cli.js';
import { unseal } from '../../support/db.js';
import { partnerReferralBundle } from '../../support/fhir-examples.js';
import { gpPartner, serviceRequestIdOf } from '../../support/fixtures.js';
import { clientAssertion, jwksJson, type SigningKey, signingKey } from '../../support/keys.js';
import { ADMIN, buildTestNavbridge, TEST_AUDIENCE, type TestNavbridge } from '../../support/navbridge.js';
import { nhsNumber } from '../../support/people.js';
import { writeTempConfig } from '../../support/processes.js';
import { waitFor } from '../../support/wait.js';

const FHIR = 'application/fhir+json';
const SITE_KEY = `unknown-key-site-${randomUUID()}`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** The key the rows are resealed under: never given to navbridge. */
const RETIRED_ID = 'retired-2025';
const RETIRED = randomBytes(32);

describe('a value sealed under a master key not configured here', () => {
  let nb: TestNavbridge;
  let partner: SigningKey;
  const lines: string[] = [];
  const clock = { now: new Date('2025-03-10T15:00:00Z') };
  const site = { 'X-API-Key': SITE_KEY };
  const auth = async () => ({
    Authorization: `Bearer ${await clientAssertion(partner, { clientId: 'gp-a-client', audience: TEST_AUDIENCE, now: clock.now })}`,
  });
  let referralId = '';
  let srId = '';

  beforeAll(async () => {
    partner = await signingKey('RS256');
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    );
    nb = await buildTestNavbridge({
      clock,
      logger,
      partners: [
        gpPartner({
          inbound: { clientId: 'gp-a-client', publicKeysEnv: 'GP_A_JWKS', defaultSite: 'leeds-north' },
        }),
      ],
      config: { apiKeys: [{ id: 'leeds-case-system', site: 'leeds-north', sha256: sha(SITE_KEY) }] },
      env: { GP_A_JWKS: await jwksJson(partner) },
    });
    // The partner refers a person (a stored record, and a Task it may read).
    const { bundle } = partnerReferralBundle({ nhs: nhsNumber(), family: 'Keyless' });
    const res = await request(nb.app)
      .post('/fhir')
      .set(await auth())
      .set('Content-Type', FHIR)
      .send(JSON.stringify(bundle));
    expect(res.status).toBe(201);
    srId = serviceRequestIdOf(res.get('Location'));
    referralId = (await nb.t.sql.query(`SELECT source_id FROM records WHERE record_type = 'referral'`))
      .rows[0].source_id;
  }, 120_000);
  afterAll(async () => nb?.close());

  it('reads as usual while its key is configured', async () => {
    expect((await request(nb.app).get(`/api/v1/referrals/${referralId}`).set(site)).status).toBe(200);
    const tasks = await request(nb.app)
      .get(`/fhir/Task?focus=ServiceRequest/${srId}`)
      .set(await auth());
    expect(tasks.status).toBe(200);
    expect(tasks.body.entry).toHaveLength(1);
  });

  it('answers 503 MASTER_KEY_UNAVAILABLE on /api and /fhir once it is under a key not configured, logging the key id only', async () => {
    // Reseal the referral's record and exchanges under a key navbridge was never given.
    const retired = new Vault(localKeyProvider({ [RETIRED_ID]: RETIRED }, RETIRED_ID));
    for (const [table, context] of [
      ['records', RECORD_PAYLOAD],
      ['exchanges', EXCHANGE_PAYLOAD],
    ] as const) {
      const { rows } = await nb.t.sql.query(
        `SELECT ctid::text AS at, payload FROM ${table} WHERE payload IS NOT NULL`,
      );
      for (const r of rows)
        await nb.t.sql.query(`UPDATE ${table} SET payload = $1::jsonb WHERE ctid = $2::tid`, [
          await retired.seal(await unseal(r.payload, context), context),
          r.at,
        ]);
    }
    const answers = [
      await request(nb.app).get(`/api/v1/referrals/${referralId}`).set(site),
      await request(nb.app)
        .get(`/fhir/Task?focus=ServiceRequest/${srId}`)
        .set(await auth()),
    ];
    expect(answers.map((a) => a.status)).toEqual([503, 503]);
    for (const res of answers) {
      expect(res.get('Retry-After')).toBeDefined();
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].details.coding[0].code).toBe('MASTER_KEY_UNAVAILABLE');
      expect(res.body.issue[0].diagnostics).toMatch(/NAVBRIDGE_MASTER_KEYS/);
      // The caller is told what is wrong, not which key or any part of it.
      expect(res.text).not.toContain(RETIRED_ID);
    }
    // The access log names the key id (and the code) for the operator; nothing else of the key.
    const logged = await waitFor(
      async () => {
        const found = lines.filter((l) => l.includes('MASTER_KEY_UNAVAILABLE'));
        return found.length >= 2 ? found : undefined;
      },
      { what: 'two access-log lines with the code' },
    );
    for (const l of logged) {
      expect(JSON.parse(l)).toMatchObject({
        errorCode: 'MASTER_KEY_UNAVAILABLE',
        refusal: `master key ${RETIRED_ID} is not configured`,
      });
      expect(l).not.toContain(RETIRED.toString('base64'));
    }
    expect(lines.join('\n')).not.toMatch(/REC_SERVER_ERROR|"level":50/);
  });

  it('is counted by keys status, by key id', async () => {
    const status = await nb.navbridge.keyStatus(ADMIN);
    expect(status['records.payload']?.[`${RETIRED_ID} (not configured)`]).toBe(1);
    expect(unknownKeyRows(status)[RETIRED_ID]).toBeGreaterThan(1);
    expect(Object.keys(unknownKeyRows(status))).toEqual([RETIRED_ID]);
    // On the command line: the same counts, a warning naming the key, and exit 1 for scripts.
    const config = writeTempConfig({
      mappingsDir: path.resolve('mappings'),
      profilesDir: path.resolve('profiles'),
      sites: ['leeds-north'],
    });
    try {
      const {
        code,
        stdout: out,
        stderr: err,
      } = await runAdminCli(['keys', 'status'], {
        schema: nb.t.schema,
        config: config.file,
        cwd: path.dirname(config.file),
      });
      expect(code).toBe(1);
      expect(JSON.parse(out)).toEqual(status);
      expect(err).toMatch(
        new RegExp(`^\\d+ rows are sealed under master keys not configured here \\(${RETIRED_ID}\\)`),
      );
    } finally {
      config.remove();
    }
  });
});
