// Fail fast, as a supervisor sees it: real `serve`, `worker` and `start` processes (node, tsx, the
// real entry point with its signal handling) given a configuration or secret error, or a dependency
// that is not there, exit non-zero by themselves (no signal sent) and say why on stderr. A process that
// printed its error and lived on would hit the wait's deadline.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS } from '../../support/db.js';
import {
  freePort,
  killAllChildren,
  REPO_ROOT,
  spawnNavbridge,
  type TempConfig,
  writeTempConfig,
} from '../../support/processes.js';
import { randomPrefix, TEST_REDIS_URL } from '../../support/redis.js';

const SCHEMA = `t_failfast_${randomBytes(4).toString('hex')}`;

const partner = {
  id: 'trust',
  name: 'Partner trust',
  kind: 'trust',
  baseUrl: 'http://127.0.0.1:9/fhir',
  mode: 'transaction',
  receives: ['referral-status'],
  auth: { type: 'bearer', tokenEnv: 'TRUST_TOKEN' },
};

describe('serve, worker and start fail fast', () => {
  let good: TempConfig;
  let typo: TempConfig;
  let env: Record<string, string>;

  beforeAll(() => {
    const base = {
      mappingsDir: `${REPO_ROOT}/mappings`,
      profilesDir: `${REPO_ROOT}/profiles`,
      worker: { queuePrefix: randomPrefix() },
      partners: [partner],
    };
    good = writeTempConfig({ ...base, sites: ['leeds-north'] });
    typo = writeTempConfig({ ...base, sites: ['leeds-nort'] });
    env = {
      NAVBRIDGE_CONFIG: good.file,
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: SCHEMA,
      REDIS_URL: TEST_REDIS_URL,
      NAVBRIDGE_PERSON_KEY: 'fail-fast-person-key-0123456789',
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      TRUST_TOKEN: 'trust-token',
      PORT: '0',
    };
  });

  afterAll(async () => {
    await killAllChildren();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.end();
    good?.remove();
    typo?.remove();
  });

  /** Runs the command and waits for it to exit on its own; returns the exit and everything it wrote. */
  async function exitOf(command: string, over: Record<string, string | undefined>) {
    const merged = Object.fromEntries(
      Object.entries({ ...env, ...over }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const started = Date.now();
    const p = spawnNavbridge(command, [command], merged);
    const exit = await p.exited;
    return { exit, output: p.output(), ms: Date.now() - started };
  }

  const cases: {
    what: string;
    commands: string[];
    env: () => Promise<Record<string, string | undefined>> | Record<string, string | undefined>;
    says: RegExp;
  }[] = [
    {
      what: 'a configuration error (a misspelt site)',
      commands: ['serve', 'worker', 'start'],
      env: () => ({ NAVBRIDGE_CONFIG: typo.file }),
      says: /configuration error[\s\S]*leeds-nort/,
    },
    {
      what: 'the person key missing',
      commands: ['serve', 'start'],
      env: () => ({ NAVBRIDGE_PERSON_KEY: undefined }),
      says: /NAVBRIDGE_PERSON_KEY/,
    },
    {
      what: "a partner's credential missing",
      commands: ['worker', 'start'],
      env: () => ({ TRUST_TOKEN: undefined }),
      says: /TRUST_TOKEN/,
    },
    {
      what: 'an invalid environment value',
      commands: ['serve', 'worker'],
      env: () => ({ REDIS_URL: 'http://nowhere' }),
      says: /REDIS_URL/,
    },
    {
      what: 'Redis not reachable',
      commands: ['serve', 'worker', 'start'],
      env: async () => ({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }),
      says: /Redis is not reachable/,
    },
    {
      what: 'PostgreSQL not reachable',
      commands: ['serve', 'worker'],
      env: async () => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/test` }),
      says: /PostgreSQL is not reachable/,
    },
  ];

  for (const c of cases)
    it(`${c.commands.join(', ')} exit 2 on ${c.what}`, async () => {
      const over = await c.env();
      const results = await Promise.all(c.commands.map((cmd) => exitOf(cmd, over)));
      results.forEach((r, i) => {
        expect(r.exit, `${c.commands[i]}:\n${r.output}`).toEqual({ code: 2, signal: null });
        expect(r.output, c.commands[i]).toMatch(c.says);
        expect(r.output, c.commands[i]).not.toMatch(/\n\s+at .+:\d+:\d+/);
      });
      // The figure (not asserted: the machine is shared): how long each took to give up.
      console.info(`${c.what}: ${results.map((r, i) => `${c.commands[i]} ${r.ms} ms`).join(', ')}`);
    }, 90_000);

  it('serve and start exit 2 when the port is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = String((holder.address() as net.AddressInfo).port);
    try {
      const results = await Promise.all(['serve', 'start'].map((cmd) => exitOf(cmd, { PORT: port })));
      for (const r of results) {
        expect(r.exit, r.output).toEqual({ code: 2, signal: null });
        expect(r.output).toMatch(/cannot listen on port/);
      }
    } finally {
      holder.close();
    }
  }, 90_000);
});
