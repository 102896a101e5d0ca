import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAppConfig as loadFile, loadSecrets, readEnvironment } from '../../../src/config/load-config.js';

const loadAppConfig = (env: Record<string, string>, cwd: string) => loadFile(readEnvironment(env), cwd);

function withConfig(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-config-'));
  writeFileSync(path.join(dir, 'navbridge.config.yaml'), text);
  return dir;
}

const issues = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    return ((err as { outcome: { issue: { diagnostics: string }[] } }).outcome.issue ?? []).map(
      (i) => i.diagnostics,
    );
  }
  throw new Error('expected a configuration error');
};

describe('navbridge.config.yaml', () => {
  it('the shipped example is valid', () => {
    const cfg = loadAppConfig({ NAVBRIDGE_CONFIG: 'navbridge.config.example.yaml' }, process.cwd());
    expect(cfg.partners.map((p) => p.mode)).toEqual(['transaction', 'document', 'message', 'rest']);
    expect(cfg.partners[0]?.retry.maxAttempts).toBe(12);
    expect(Object.isFrozen(cfg)).toBe(true);
    // Deeply: no part of the loaded configuration can be changed at run time.
    expect(Object.isFrozen(cfg.partners)).toBe(true);
    expect(Object.isFrozen(cfg.partners[0]?.retry)).toBe(true);
    expect(() => {
      (cfg.partners as unknown as unknown[]).push({});
    }).toThrow();
  });

  it('reports every problem at once: unknown keys, bad values, missing fields, duplicates', () => {
    const dir = withConfig(`
sites: [leeds-north]
colour: blue
partners:
  - id: a-trust
    name: A
    kind: hospital
    baseUrl: not a url
    mode: message
    receives: [referral-status]
    concurrency: "0"
  - id: a-trust
    name: B
    kind: trust
    baseUrl: http://x.example
    mode: rest
    receives: []
`);
    const found = issues(() => loadAppConfig({}, dir));
    const text = found.join('\n');
    expect(text).toMatch(/colour/);
    expect(text).toMatch(/partners\[0\]\.kind|partners\.0\.kind|kind/);
    expect(text).toMatch(/baseUrl/);
    expect(text).toMatch(/concurrency/);
    expect(text).toMatch(/receives/);
    expect(text).toMatch(/duplicate partner id/);
    expect(text).toMatch(/Directory of Services/);
    expect(found.length).toBeGreaterThanOrEqual(6);
  });

  it('coerces numbers from strings and applies defaults (no default secrets)', () => {
    const dir = withConfig(`
sites: [leeds-north]
partners:
  - { id: gp-one, name: GP, kind: gp-practice, baseUrl: 'http://gp.example', mode: document, receives: [discharge], timeoutMs: "5000" }
`);
    const cfg = loadAppConfig({}, dir);
    expect(cfg.partners[0]?.timeoutMs).toBe(5000);
    expect(cfg.partners[0]?.auth).toEqual({ type: 'none' });
    expect(cfg.secrets.personKeyEnv).toBe('NAVBRIDGE_PERSON_KEY');
    expect(cfg.http.intake.warmUpMs).toBe(3000);
  });

  it('bounds the API warm-up: 0 turns it off, a negative or over-a-minute time is named', () => {
    const config = (warmUpMs: string) =>
      withConfig(`
sites: [leeds-north]
http: { intake: { warmUpMs: ${warmUpMs} } }
partners: []
`);
    expect(loadAppConfig({}, config('0')).http.intake.warmUpMs).toBe(0);
    for (const bad of ['-1', '60001', '1.5'])
      expect(issues(() => loadAppConfig({}, config(bad))).join('\n')).toMatch(/http\.intake\.warmUpMs/);
  });

  it('names a missing file and how to fix it', () => {
    expect(issues(() => loadAppConfig({ NAVBRIDGE_CONFIG: 'nope.yaml' }, tmpdir()))[0]).toMatch(
      /nope\.yaml not found/,
    );
  });

  it('secrets come only from the environment and are checked where needed', () => {
    const cfg = loadAppConfig({ NAVBRIDGE_CONFIG: 'navbridge.config.example.yaml' }, process.cwd());
    const deliver = { personKey: false, partnerAuth: true };
    const missing = issues(() => loadSecrets({}, cfg, deliver));
    expect(missing).toHaveLength(3);
    expect(missing.join()).toMatch(/LEEDS_TRUST_PRIVATE_KEY/);
    const secrets = loadSecrets(
      { LEEDS_TRUST_PRIVATE_KEY: 'k', CHAPEL_ALLERTON_TOKEN: 't', BARS_TOKEN: 'b' },
      cfg,
      deliver,
    );
    expect(secrets.partnerAuth['leeds-trust']).toBe('k');
    expect(Object.isFrozen(secrets)).toBe(true);
    expect(
      issues(() =>
        loadSecrets({ NAVBRIDGE_PERSON_KEY: 'short' }, cfg, { personKey: true, partnerAuth: false }),
      )[0],
    ).toMatch(/at least 16.*NAVBRIDGE_PERSON_KEY/);
  });
});

describe('callers that could be confused', () => {
  const partner = (id: string, inbound: Record<string, unknown>) => `
  - id: ${id}
    name: ${id}
    kind: gp-practice
    baseUrl: http://127.0.0.1:9/fhir
    mode: transaction
    receives: [referral-status]
    inbound: ${JSON.stringify({ publicKeysEnv: 'X_JWKS', ...inbound })}`;
  const config = (partners: string, extra = '') =>
    withConfig(`sites: [leeds-north, cardiff-vale]\npartners:${partners}\n${extra}`);

  it('a partner clientId used by another partner or a site client is a configuration error', () => {
    const twice = issues(() =>
      loadAppConfig(
        {},
        config(
          partner('a', { clientId: 'c1', defaultSite: 'leeds-north' }) +
            partner('b', { clientId: 'c1', defaultSite: 'leeds-north' }),
        ),
      ),
    );
    expect(twice.join('\n')).toMatch(
      /partners\[1\]\.inbound\.clientId: clientId already used by partners\[0\]/,
    );
    const withSite = issues(() =>
      loadAppConfig(
        {},
        config(
          partner('a', { clientId: 'c1', defaultSite: 'leeds-north' }),
          'siteClients:\n  - { id: leeds-cms, site: leeds-north, clientId: c1, publicKeysEnv: S_JWKS }',
        ),
      ),
    );
    expect(withSite.join('\n')).toMatch(/inbound\.clientId: clientId already used by siteClients\[0\]/);
  });

  it('inbound.sites names known sites and holds the default site; one of them is required', () => {
    expect(issues(() => loadAppConfig({}, config(partner('a', { clientId: 'c1' })))).join()).toMatch(
      /name the sites this partner may refer into/,
    );
    expect(
      issues(() =>
        loadAppConfig({}, config(partner('a', { clientId: 'c1', sites: ['leeds-north', 'york'] }))),
      ).join(),
    ).toMatch(/york: not one of sites/);
    expect(
      issues(() =>
        loadAppConfig(
          {},
          config(partner('a', { clientId: 'c1', sites: ['leeds-north'], defaultSite: 'cardiff-vale' })),
        ),
      ).join(),
    ).toMatch(/defaultSite must be one of sites/);
    const ok = loadAppConfig(
      {},
      config(partner('ok-a', { clientId: 'c1', sites: ['leeds-north', 'cardiff-vale'] })),
    );
    expect(ok.partners[0]?.inbound?.sites).toEqual(['leeds-north', 'cardiff-vale']);
  });

  it('an admin token shorter than 32 characters is refused wherever it is set', () => {
    const cfg = loadAppConfig({ NAVBRIDGE_CONFIG: 'navbridge.config.example.yaml' }, process.cwd());
    const none = { personKey: false, partnerAuth: false };
    expect(issues(() => loadSecrets({ NAVBRIDGE_ADMIN_TOKEN: 'x'.repeat(31) }, cfg, none)).join()).toMatch(
      /admin token: at least 32 characters.*NAVBRIDGE_ADMIN_TOKEN/,
    );
    expect(loadSecrets({ NAVBRIDGE_ADMIN_TOKEN: 'x'.repeat(32) }, cfg, none).adminToken).toHaveLength(32);
  });
});

describe('the environment', () => {
  it('is read through one schema: defaults, coercion, and every bad value named at once', () => {
    const env = readEnvironment({ PORT: '9090' });
    expect(env.PORT).toBe(9090);
    expect(env.DATABASE_URL).toMatch(/^postgres:/);
    expect(env.NAVBRIDGE_CONFIG).toBe('navbridge.config.yaml');
    const found = issues(() =>
      readEnvironment({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        NAVBRIDGE_DB_SCHEMA: 'Bad-Schema',
        REDIS_URL: 'x',
        NAVBRIDGE_V8_HEAP: 'small',
        DATABASE_PREPARED_STATEMENTS: 'maybe',
      }),
    );
    expect(found.join('\n')).toMatch(/PORT/);
    expect(found.join('\n')).toMatch(/LOG_LEVEL/);
    expect(found.join('\n')).toMatch(/NAVBRIDGE_DB_SCHEMA/);
    expect(found.join('\n')).toMatch(/REDIS_URL/);
    expect(found.join('\n')).toMatch(/NAVBRIDGE_V8_HEAP/);
    expect(found.join('\n')).toMatch(/DATABASE_PREPARED_STATEMENTS/);
    expect(found).toHaveLength(6);
    expect(readEnvironment({ NAVBRIDGE_V8_HEAP: 'default' }).NAVBRIDGE_V8_HEAP).toBe('default');
    expect(env.DATABASE_PREPARED_STATEMENTS).toBe('on');
    expect(readEnvironment({ DATABASE_PREPARED_STATEMENTS: 'off' }).DATABASE_PREPARED_STATEMENTS).toBe('off');
  });
});
