// `mappings test` runs the inbound goldens too, refuses to record a rejection as expected unless the
// golden's name or --allow-rejection says so, and reports as JSON or JUnit for CI.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyAllMappings, edit, ROOT, run } from './run.js';

const PROFILES = ['--profiles', path.join(ROOT, 'profiles')];
const test = (m: string, ...more: string[]) =>
  run(['mappings', 'test', '--mappings', m, ...PROFILES, ...more]);

describe('navbridge mappings test: inbound goldens', () => {
  it('runs every inbound golden and fails with a diff when the inverse mapping changes', async () => {
    const m = copyAllMappings();
    const ok = await test(m, '--filter', 'inbound/');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ mappings/inbound/fhir-referral/examples/bars-validation-request');
    expect(ok.stdout).toMatch(/^4 passed, 0 failed$/m);
    const expected = path.join(m, 'inbound', 'fhir-referral', 'examples', 'contained-crisis.expected.json');
    edit(expected, '"value": "R-77"', '"value": "R-78"');
    const bad = await test(m, '--filter', 'inbound/');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✗ mappings/inbound/fhir-referral/examples/contained-crisis');
    expect(bad.stdout).toContain('identity.value: expected "R-78", got "R-77"');
  });
});

describe('navbridge mappings test --update', () => {
  it('refuses to record an OperationOutcome as expected unless the name or --allow-rejection says so', async () => {
    const m = copyAllMappings();
    const dir = path.join(m, 'referral', 'examples');
    // A new golden whose input is structurally invalid, named as if it should map.
    writeFileSync(
      path.join(dir, 'new-case.input.json'),
      readFileSync(path.join(dir, 'structurally-invalid.input.json')),
    );
    const refused = await test(m, '--update', '--filter', 'new-case');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('✗ mappings/referral/examples/new-case');
    expect(refused.stdout).toContain('not updated: the output is a rejection (OperationOutcome)');
    expect(() => readFileSync(path.join(dir, 'new-case.expected.json'))).toThrow();
    const allowed = await test(m, '--update', '--allow-rejection', '--filter', 'new-case');
    expect(allowed.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'new-case.expected.json'), 'utf8')).resourceType).toBe(
      'OperationOutcome',
    );
    // A golden named as a rejection case records one without the flag.
    unlinkSync(path.join(dir, 'structurally-invalid.expected.json'));
    const named = await test(m, '--update', '--filter', 'structurally-invalid');
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/^0 passed, 0 failed, 1 updated$/m);
  });
});

describe('navbridge mappings test: output for machines', () => {
  it('--json lists every golden with its status; --junit writes one testcase per golden', async () => {
    const m = copyAllMappings();
    edit(
      path.join(m, 'referral', 'examples', 'accepted.expected.json'),
      '"status": "accepted"',
      '"status": "requested"',
    );
    const junit = path.join(path.dirname(m), 'goldens.xml');
    const r = await test(m, '--json', '--junit', junit, '--filter', 'referral/examples/');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      summary: { failed: number };
      cases: { name: string; status: string }[];
    };
    expect(report.summary.failed).toBe(1);
    expect(report.cases.find((c) => c.status === 'failed')?.name).toBe('mappings/referral/examples/accepted');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites name="navbridge mappings test"');
    expect(xml).toMatch(
      /<testcase classname="navbridge mappings test" name="mappings\/referral\/examples\/accepted">\n\s+<failure message="entry\[\d+\]\.resource\.status: expected &quot;requested&quot;, got &quot;accepted&quot;"/,
    );
  });
});
