import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertPartnerSecrets, loadAppConfig, requireSecret } from '../../../src/config/load-app-config.js';

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
  });

  it('names a missing file and how to fix it', () => {
    expect(issues(() => loadAppConfig({ NAVBRIDGE_CONFIG: 'nope.yaml' }, tmpdir()))[0]).toMatch(
      /nope\.yaml not found/,
    );
  });

  it('secrets come only from the environment and are checked where needed', () => {
    const cfg = loadAppConfig({ NAVBRIDGE_CONFIG: 'navbridge.config.example.yaml' }, process.cwd());
    const missing = issues(() => assertPartnerSecrets(cfg, {}));
    expect(missing).toHaveLength(3);
    expect(missing.join()).toMatch(/LEEDS_TRUST_PRIVATE_KEY/);
    expect(() =>
      assertPartnerSecrets(cfg, {
        LEEDS_TRUST_PRIVATE_KEY: 'k',
        CHAPEL_ALLERTON_TOKEN: 't',
        BARS_TOKEN: 'b',
      }),
    ).not.toThrow();
    expect(issues(() => requireSecret({ K: 'short' }, 'K', 'person matching key', 16))[0]).toMatch(
      /at least 16/,
    );
  });
});
