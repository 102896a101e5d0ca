import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Bundle, OperationOutcome, Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from './run.js';

const NOW = ['--now', '2026-03-02T09:00:00Z'];
const example = (name: string) => `mappings/referral/examples/${name}`;
const tmp = () => mkdtempSync(path.join(tmpdir(), 'navbridge-cli-'));
const task = (b: Bundle) => b.entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task;

describe('navbridge map', () => {
  it('prints one Bundle for a JSON referral, exit 0, with the triage outcome in the Task', async () => {
    const r = await run(['map', 'referral', example('held-consent-unknown.input.json'), ...NOW]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const bundle = JSON.parse(lines[0]!) as Bundle;
    expect(bundle.type).toBe('collection');
    expect(bundle.timestamp).toBe('2026-03-02T09:00:00Z');
    expect(task(bundle).status).toBe('on-hold');
    expect(task(bundle).businessStatus?.coding?.[0]?.code).toBe('consent-to-confirm');
  });

  it('prints NDJSON for a multi-row CSV and exits 1 when a row is structurally rejected', async () => {
    const r = await run(['map', 'referral', example('csv-multi-row-with-invalid.input.csv'), ...NOW]);
    expect(r.code).toBe(1);
    const bundles = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Bundle);
    expect(bundles.map((b) => task(b).status)).toEqual(['accepted', 'on-hold', 'rejected']);
    const outcome = JSON.parse(r.stderr.trim()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.diagnostics).toBe(
      'row 5: person.birthDate: must not be after today (Europe/London)',
    );
  });

  it('prints only an OperationOutcome on stderr for a structural rejection (exit 1), no values echoed', async () => {
    const r = await run(['map', 'referral', example('structurally-invalid.input.json'), ...NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const outcome = JSON.parse(r.stderr) as OperationOutcome;
    expect(outcome.issue.map((i) => i.expression?.[0])).toEqual(
      expect.arrayContaining(['priority', 'referralDate', 'person.nhsNumber']),
    );
    expect(r.stderr).not.toContain('4857773458');
  });

  it('takes the site from --site where the record has none, and fails with exit 2 without one', async () => {
    const dir = tmp();
    const rec = JSON.parse(readFileSync(path.join(ROOT, example('accepted.input.json')), 'utf8'));
    delete rec.site;
    writeFileSync(path.join(dir, 'no-site.json'), JSON.stringify(rec));
    const missing = await run(['map', 'referral', path.join(dir, 'no-site.json'), ...NOW]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('the record has no site: give --site <site>');
    const ok = await run([
      'map',
      'referral',
      path.join(dir, 'no-site.json'),
      '--site',
      'leeds-north',
      ...NOW,
    ]);
    expect(ok.code).toBe(0);
    const bundle = JSON.parse(ok.stdout) as Bundle;
    expect(JSON.stringify(bundle)).toContain('https://fhir.navbridge.org.uk/Id/leeds-north/referral');
    // The record's own site wins over --site.
    const wins = await run([
      'map',
      'referral',
      example('accepted.input.json'),
      '--site',
      'cardiff-vale',
      ...NOW,
    ]);
    expect(wins.code).toBe(0);
    expect(wins.stdout).toContain('/Id/leeds-north/referral');
  });

  it('uses --context for context fields (a triage decision given there wins)', async () => {
    const dir = tmp();
    const ctx = path.join(dir, 'ctx.json');
    writeFileSync(
      ctx,
      JSON.stringify({
        now: '2026-03-03T12:00:00+00:00',
        triage: { outcome: 'reject', reason: 'out-of-area' },
      }),
    );
    const r = await run(['map', 'referral', example('accepted.input.json'), '--context', ctx]);
    expect(r.code).toBe(0);
    const bundle = JSON.parse(r.stdout) as Bundle;
    expect(bundle.timestamp).toBe('2026-03-03T12:00:00+00:00');
    expect(task(bundle).statusReason?.coding?.[0]?.code).toBe('out-of-area');
    writeFileSync(ctx, JSON.stringify({ site: { id: 'x' } }));
    const bad = await run(['map', 'referral', example('accepted.input.json'), '--context', ctx]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a valid mapping context\n {2}\w+: unknown field/);
  });

  it('exits 2 with a one-line error for usage and file problems, never a stack trace', async () => {
    const cases = [
      ['map', 'nonsense', 'x.json'],
      ['map', 'referral'],
      ['map', 'referral', 'missing.json'],
      ['map', 'referral', example('accepted.input.json'), '--now', 'yesterday'],
      ['map', 'assessment', example('csv-multi-row-with-invalid.input.csv')],
      ['map', 'referral', example('accepted.input.json'), '--bogus'],
      ['frobnicate'],
      ['mappings', 'dance'],
    ];
    for (const argv of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], argv.join(' ')).toMatch(/^navbridge: \S/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('reports an unknown site as a configuration problem (exit 2)', async () => {
    const dir = tmp();
    const rec = JSON.parse(readFileSync(path.join(ROOT, example('accepted.input.json')), 'utf8'));
    rec.site = 'atlantis';
    writeFileSync(path.join(dir, 'r.json'), JSON.stringify(rec));
    const r = await run(['map', 'referral', path.join(dir, 'r.json'), ...NOW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown site 'atlantis'");
  });
});

describe('navbridge validate', () => {
  it('exits 0 for a valid mapped Bundle and 1 with an OperationOutcome for an invalid resource', async () => {
    const dir = tmp();
    const mapped = await run(['map', 'referral', example('accepted.input.json'), ...NOW]);
    const bundle = JSON.parse(mapped.stdout) as Bundle;
    writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify(bundle));
    const ok = await run(['validate', path.join(dir, 'bundle.json')]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as OperationOutcome).issue[0]?.severity).toBe('information');
    const t = { ...task(bundle), status: 'bogus' };
    writeFileSync(path.join(dir, 'task.json'), JSON.stringify(t));
    const bad = await run(['validate', path.join(dir, 'task.json'), '--profile', 'navbridge-referral-task']);
    expect(bad.code).toBe(1);
    const outcome = JSON.parse(bad.stdout) as OperationOutcome;
    expect(outcome.issue.some((i) => i.severity === 'error')).toBe(true);
  });
});

describe('navbridge help', () => {
  it('prints usage with exit 0', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('navbridge map <record-type>');
    }
    expect((await run([])).code).toBe(2);
  });
});
