// `mappings check` catches the mistakes that used to pass silently, each at its file:line:column with
// the nearest valid name; --json and --junit carry the same results for CI.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyAllMappings, edit, lineOf, ROOT, run } from './run.js';

const PROFILES = ['--profiles', path.join(ROOT, 'profiles')];
const check = (m: string, ...more: string[]) =>
  run(['mappings', 'check', '--mappings', m, ...PROFILES, ...more]);

describe('navbridge mappings check: silent mistakes', () => {
  it('flags an unknown binding and an unknown function at their line and column, with a suggestion', async () => {
    const m = copyAllMappings();
    const file = path.join(m, 'referral', 'mapping.yaml');
    edit(
      file,
      '"display": $site.name\n          },\n          "note"',
      '"display": $sitee.name\n          },\n          "note"',
    );
    edit(file, '$language($p.interpreterLanguage)', '$langauge($p.interpreterLanguage)');
    const r = await check(m);
    expect(r.code).toBe(1);
    const bindingLine = lineOf(file, '$sitee.name');
    const bindingCol = readFileSync(file, 'utf8').split('\n')[bindingLine - 1]!.indexOf('$sitee') + 1;
    expect(r.stdout).toContain(
      `error: mappings/referral/mapping.yaml:${bindingLine}:${bindingCol} resources[task].expression: unknown binding $sitee (did you mean '$site'?)`,
    );
    const fnLine = lineOf(file, '$langauge(');
    const fnCol = readFileSync(file, 'utf8').split('\n')[fnLine - 1]!.indexOf('$langauge') + 1;
    expect(r.stdout).toContain(
      `error: mappings/referral/mapping.yaml:${fnLine}:${fnCol} resources[patient].expression: unknown function $langauge() (did you mean '$language'?)`,
    );
  });

  it('flags a literal code that is not in its code table', async () => {
    const m = copyAllMappings();
    const file = path.join(m, 'referral', 'mapping.yaml');
    edit(file, "$concept('referral-route', $record.route)", "$concept('referral-route', 'carrier-pigeon')");
    const r = await check(m);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `error: mappings/referral/mapping\\.yaml:${lineOf(file, 'carrier-pigeon')}:\\d+ resources\\[service-request\\]\\.expression: \\$concept\\('referral-route', 'carrier-pigeon'\\): code 'carrier-pigeon' is not in code table 'referral-route'`,
      ),
    );
  });

  it('flags a misnamed override file, an unknown example folder and a broken site.yaml', async () => {
    const m = copyAllMappings();
    const site = path.join(m, 'sites', 'cardiff-vale');
    renameSync(path.join(site, 'referral.yaml'), path.join(site, 'referal.yaml'));
    renameSync(path.join(site, 'examples', 'referral'), path.join(site, 'examples', 'referals'));
    edit(path.join(site, 'site.yaml'), 'nation: wales', 'nation: narnia');
    const r = await check(m);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "error: mappings/sites/cardiff-vale/referal.yaml 'referal.yaml' is not a site file (site.yaml, code-tables.yaml or <record-type>.yaml), so it is ignored (did you mean 'referral.yaml'?)",
    );
    expect(r.stdout).toContain(
      "mappings/sites/cardiff-vale/examples/referals 'referals' is not a record type",
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `error: mappings/sites/cardiff-vale/site\\.yaml:${lineOf(path.join(site, 'site.yaml'), 'nation:')}:1 nation:`,
      ),
    );
    expect(r.stdout).toContain('✗ site cardiff-vale');
  });

  it('suggests the key meant for an unknown field', async () => {
    const m = copyAllMappings();
    const file = path.join(m, 'referral', 'mapping.yaml');
    edit(file, '  - name: patient\n    resourceType: Patient', '  - name: patient\n    resourceTyp: Patient');
    const r = await check(m);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `error: mappings/referral/mapping.yaml:${lineOf(file, 'resourceTyp:')}:5 resources[patient].resourceTyp: unknown field (did you mean 'resourceType'?)`,
    );
  });

  it('checks every inbound mapping: an unknown key and an unknown binding', async () => {
    const m = copyAllMappings();
    const file = path.join(m, 'inbound', 'fhir-referral', 'mapping.yaml');
    edit(file, 'direction: inbound\n', 'direction: inbound\nbogusKey: 1\n');
    const first = await check(m);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('✗ inbound fhir-referral');
    expect(first.stdout).toContain(
      `error: mappings/inbound/fhir-referral/mapping.yaml:${lineOf(file, 'bogusKey')}:1 bogusKey: unknown field`,
    );
    edit(file, 'bogusKey: 1\n', '');
    edit(file, "$table('referrer-role', $partner.kind)", "$table('referrer-role', $partnr.kind)");
    const second = await check(m);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(
      new RegExp(
        `mappings/inbound/fhir-referral/mapping\\.yaml:${lineOf(file, '$partnr')}:\\d+ record: unknown binding \\$partnr \\(did you mean '\\$partner'\\?\\)`,
      ),
    );
  });
});

describe('navbridge mappings check: output for machines', () => {
  it('--json gives every case with file, line and column; --junit writes a JUnit report', async () => {
    const m = copyAllMappings();
    edit(path.join(m, 'referral', 'mapping.yaml'), '"time": $ctx.now},', '"time": $now()},');
    const junit = path.join(path.dirname(m), 'check.xml');
    const r = await check(m, '--json', '--junit', junit);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      command: string;
      summary: { errors: number };
      cases: { name: string; status: string; messages: { file?: string; line?: number; text: string }[] }[];
    };
    expect(report.command).toBe('mappings check');
    expect(report.summary.errors).toBe(1);
    const failed = report.cases.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.name)).toEqual(['referral']);
    expect(failed[0]!.messages[0]).toMatchObject({
      file: 'mappings/referral/mapping.yaml',
      line: lineOf(path.join(m, 'referral', 'mapping.yaml'), '$now()'),
    });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="navbridge mappings check" tests="\d+" failures="1">/,
    );
    expect(xml).toMatch(
      /<testcase classname="navbridge mappings check" name="referral" file="mappings\/referral\/mapping.yaml">\n\s+<failure message="mappings\/referral\/mapping.yaml:\d+:\d+ resources\[task\]\.expression: uses \$now/,
    );
    writeFileSync(junit, '');
  });
});
