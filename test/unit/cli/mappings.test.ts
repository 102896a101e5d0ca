import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OperationOutcome } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from './run.js';

/** A private copy of mappings/ (referral and sites only) that a test may break. */
function copyMappings(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-mappings-'));
  const m = path.join(dir, 'mappings');
  cpSync(path.join(ROOT, 'mappings', 'code-tables.yaml'), path.join(m, 'code-tables.yaml'));
  cpSync(path.join(ROOT, 'mappings', 'referral'), path.join(m, 'referral'), { recursive: true });
  cpSync(path.join(ROOT, 'mappings', 'sites'), path.join(m, 'sites'), { recursive: true });
  return m;
}

const edit = (file: string, from: string, to: string) => {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`fixture text not found: ${from}`);
  writeFileSync(file, text.replace(from, to));
};

const PROFILES = ['--profiles', path.join(ROOT, 'profiles')];

describe('navbridge mappings test', () => {
  it('passes on the shipped goldens, and fails with a readable diff when an expected file differs', async () => {
    const m = copyMappings();
    const ok = await run(['mappings', 'test', '--mappings', m, ...PROFILES]);
    expect(ok.stdout).toMatch(/^10 passed, 0 failed$/m);
    expect(ok.code).toBe(0);
    const expected = path.join(m, 'referral', 'examples', 'accepted.expected.json');
    edit(expected, '"status": "accepted"', '"status": "requested"');
    const bad = await run(['mappings', 'test', '--mappings', m, ...PROFILES]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✗ mappings/referral/examples/accepted');
    expect(bad.stdout).toContain('entry[5].resource.status: expected "requested", got "accepted"');
    expect(bad.stdout).toMatch(/^9 passed, 1 failed$/m);
    const upd = await run([
      'mappings',
      'test',
      '--update',
      '--filter',
      'accepted',
      '--mappings',
      m,
      ...PROFILES,
    ]);
    expect(upd.code).toBe(0);
    expect(upd.stdout).toMatch(/^0 passed, 0 failed, 1 updated$/m);
    expect(readFileSync(expected, 'utf8')).toContain('"status": "accepted"');
  });
});

describe('map with a faulty mapping', () => {
  it('names the mapping file and expression when the output is not profile-valid (exit 1)', async () => {
    const m = copyMappings();
    edit(
      path.join(m, 'referral', 'mapping.yaml'),
      '"intent": "order",\n          "code": $concept',
      '"intent": "bogus",\n          "code": $concept',
    );
    const r = await run([
      'map',
      'referral',
      path.join(m, 'referral', 'examples', 'accepted.input.json'),
      '--mappings',
      m,
      ...PROFILES,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const outcome = JSON.parse(r.stderr) as OperationOutcome;
    expect(
      outcome.issue.some((i) =>
        i.diagnostics?.includes('produced by mappings/referral/mapping.yaml resources[task].expression'),
      ),
    ).toBe(true);
  });

  it('reports a broken mapping file as a configuration error (exit 2)', async () => {
    const m = copyMappings();
    edit(
      path.join(m, 'referral', 'mapping.yaml'),
      '  - name: patient\n',
      '  - name: patient\n    colour: blue\n',
    );
    const r = await run([
      'map',
      'referral',
      path.join(m, 'referral', 'examples', 'accepted.input.json'),
      '--mappings',
      m,
      ...PROFILES,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'navbridge: configuration error\n  mappings/referral/mapping.yaml resources[patient].colour: unknown field\n',
    );
  });
});

describe('navbridge mappings check', () => {
  it('passes on the shipped mappings', async () => {
    const r = await run(['mappings', 'check', ...PROFILES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ checked, 0 errors, 0 warnings$/m);
  });

  it('flags disabled functions, unknown codes and compile errors (exit 1)', async () => {
    const m = copyMappings();
    edit(path.join(m, 'referral', 'mapping.yaml'), '"lastModified": $ctx.now', '"lastModified": $now()');
    edit(
      path.join(m, 'code-tables.yaml'),
      '      benefits: { display: Benefits }',
      '      benefits: { display: Benefits }\n      astrology: { display: Astrology }',
    );
    edit(path.join(m, 'sites', 'cardiff-vale', 'referral.yaml'), '$ ~> | owner |', '$ ~> | owner ');
    const r = await run(['mappings', 'check', '--mappings', m, ...PROFILES]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /error: mappings\/referral\/mapping\.yaml:\d+:\d+ resources\[task\]\.expression: uses \$now, which is disabled in mappings/,
    );
    expect(r.stdout).toMatch(
      /error: mappings\/code-tables\.yaml:\d+:7 tables\.need-domain\.codes\.astrology: code 'astrology' is not in CodeSystem/,
    );
    expect(r.stdout).toMatch(
      /error: mappings\/sites\/cardiff-vale\/referral\.yaml:\d+:\d+ resources\[task\]\.patch: does not compile: JSONata S\d+/,
    );
  });
});
