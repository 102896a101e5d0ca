// Start-up loads and compiles everything, so `serve`, `worker` and `start` fail at once (exit 2,
// naming file and path) on a misspelt site or a broken inbound mapping, before any port or queue is
// opened; and `records list|remap` (store first) through main(argv, io).
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS } from '../../support/db.js';
import { recordFixture } from '../../support/fixtures.js';
import { connectRedis, deletePrefix, randomPrefix, TEST_REDIS_URL } from '../../support/redis.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const ADMIN = `admin-${randomBytes(16).toString('hex')}`;

describe('start-up checks and the records commands', () => {
  let dir: string;
  let env: Record<string, string>;
  const schema = `t_cli_${randomBytes(5).toString('hex')}`;
  const prefix = randomPrefix();
  const redis = connectRedis();

  const config = (over: { sites?: string; mappingsDir?: string } = {}) =>
    [
      `mappingsDir: ${over.mappingsDir ?? path.join(dir, 'mappings')}`,
      `profilesDir: ${path.join(ROOT, 'profiles')}`,
      `sites: ${over.sites ?? '[leeds-north, cardiff-vale]'}`,
      'worker:',
      `  queuePrefix: ${prefix}`,
      '',
    ].join('\n');

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'navbridge-cli-startup-'));
    cpSync(path.join(ROOT, 'mappings'), path.join(dir, 'mappings'), { recursive: true });
    writeFileSync(path.join(dir, 'navbridge.config.yaml'), config());
    env = {
      NAVBRIDGE_CONFIG: 'navbridge.config.yaml',
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      NAVBRIDGE_PERSON_KEY: 'cli-test-person-key-0123456789',
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'silent',
    };
  });

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(argv: string[], over: Record<string, string | undefined> = {}) {
    let stdout = '';
    let stderr = '';
    // A long-running command that started would wait for this signal: it is never aborted, so a
    // command that does not fail at start-up makes the test time out.
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: dir,
      env: { ...env, ...over },
      signal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  it('serve, worker and start refuse a misspelt enabled site at once, naming it', async () => {
    writeFileSync(path.join(dir, 'typo.yaml'), config({ sites: '[leeds-nort]' }));
    for (const command of ['serve', 'worker', 'start']) {
      const r = await run([command], { NAVBRIDGE_CONFIG: 'typo.yaml' });
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toMatch(/configuration error/);
      expect(r.stderr, command).toMatch(
        /'leeds-nort' is enabled but mappings\/sites\/leeds-nort\/site\.yaml does not exist/,
      );
    }
  });

  it('and an inbound mapping with an unknown field, naming file and path', async () => {
    const broken = path.join(dir, 'broken-inbound');
    cpSync(path.join(ROOT, 'mappings'), path.join(broken, 'mappings'), { recursive: true });
    const file = path.join(broken, 'mappings/inbound/fhir-referral/mapping.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nbogusKey: 1\n`);
    writeFileSync(path.join(dir, 'broken.yaml'), config({ mappingsDir: path.join(broken, 'mappings') }));
    const r = await run(['serve'], { NAVBRIDGE_CONFIG: 'broken.yaml' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mappings\/inbound\/fhir-referral\/mapping\.yaml bogusKey: unknown field/);
  });

  it('and an environment variable that is not what it must be', async () => {
    const r = await run(['serve'], { PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment PORT/);
  });

  it('and master keys that are missing or malformed, naming the variable and the key id, never a key', async () => {
    writeFileSync(path.join(dir, 'referral.json'), JSON.stringify(recordFixture('referral')));
    const argv: Record<string, string[]> = {
      serve: ['serve'],
      worker: ['worker'],
      submit: ['submit', 'referral', 'referral.json'],
      'dead-letters': ['dead-letters', 'list'],
    };
    for (const [command, args] of Object.entries(argv)) {
      const missing = await run(args, { NAVBRIDGE_MASTER_KEYS: undefined });
      expect(missing.code, command).toBe(2);
      expect(missing.stderr, command).toMatch(/master keys: must be set.*NAVBRIDGE_MASTER_KEYS/);
    }
    const secret = Buffer.alloc(20, 9).toString('base64');
    const short = await run(['serve'], { NAVBRIDGE_MASTER_KEYS: `k1:${secret}` });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/master key k1: must be 32 bytes in base64/);
    expect(short.stderr).not.toContain(secret);
    const twoKeys = `k1:${Buffer.alloc(32, 1).toString('base64')},k2:${Buffer.alloc(32, 2).toString('base64')}`;
    const ambiguous = await run(['serve'], { NAVBRIDGE_MASTER_KEYS: twoKeys });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/NAVBRIDGE_MASTER_KEY_ID/);
    // Commands that open no database need none.
    expect((await run(['keys', 'generate', 'k9'], { NAVBRIDGE_MASTER_KEYS: undefined })).stdout).toMatch(
      /^k9:[A-Za-z0-9+/]{43}=\n$/,
    );
  });

  it('records list shows a record kept because its mapping failed; remap after the fix repairs it', async () => {
    // A site override that makes contacted events fail validation.
    const override = path.join(dir, 'mappings/sites/leeds-north/event.yaml');
    writeFileSync(
      override,
      [
        'recordType: event',
        'resources:',
        '  - name: broken-flag',
        '    resourceType: Flag',
        '    profile: navbridge-flag',
        "    when: $record.type = 'contacted'",
        '    subId: broken',
        '    expression: |',
        '      { "status": "not-a-status", "code": { "text": "x" }, "subject": { "reference": $ctx.referral.patient.reference } }',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'referral.json'), JSON.stringify(recordFixture('referral')));
    writeFileSync(path.join(dir, 'contacted.json'), JSON.stringify(recordFixture('event-contacted')));
    expect((await run(['submit', 'referral', 'referral.json'])).code).toBe(0);
    const failed = await run(['submit', 'event', 'contacted.json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stderr).code).toBe('MAPPING_ERROR');

    const listed = await run(['records', 'list']);
    expect(listed.code).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'record',
      recordType: 'event',
      site: 'leeds-north',
      state: 'mapping-failed',
    });
    expect(rows[0].input).toBeUndefined();
    expect((await run(['records', 'list'], { NAVBRIDGE_ADMIN_TOKEN: undefined })).code).toBe(2);

    // Still broken: the remap fails again (exit 1) and the failure stays.
    const again = await run(['records', 'remap', '--site', 'leeds-north']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout.trim()).state).toBe('mapping-failed');

    rmSync(override);
    const fixed = await run(['records', 'remap', rows[0].id]);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout.trim())).toMatchObject({ id: rows[0].id, state: 'remapped' });
    expect((await run(['records', 'list'])).stdout).toBe('');
    expect((await run(['records', 'list', '--state', 'remapped'])).stdout.trim().split('\n')).toHaveLength(1);
    expect((await run(['records', 'remap'])).code).toBe(2);
  });
});
