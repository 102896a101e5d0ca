import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findGoldenExamples,
  listSites,
  loadMapping,
  loadSiteSettings,
} from '../../../src/config/mappings.js';
import { isNavbridgeError } from '../../../src/errors/index.js';

const ROOT_MAPPINGS = path.resolve(import.meta.dirname, '..', '..', '..', 'mappings');

function configError(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (isNavbridgeError(err)) return err.outcome.issue.map((i) => i.diagnostics ?? '');
    throw err;
  }
  throw new Error('expected a CONFIG_ERROR');
}

describe('mapping loader', () => {
  it('loads the shipped sites with their settings', () => {
    expect(listSites(ROOT_MAPPINGS)).toEqual(expect.arrayContaining(['cardiff-vale', 'leeds-north']));
    const cv = loadSiteSettings(ROOT_MAPPINGS, 'cardiff-vale');
    expect(cv).toMatchObject({
      nation: 'wales',
      assessmentTool: 'wales-recovery-plan',
      serviceClock: 'working-days',
    });
    expect(cv.bankHolidays).toContain('2026-12-28');
    const ln = loadSiteSettings(ROOT_MAPPINGS, 'leeds-north');
    expect(ln).toMatchObject({ nation: 'england', assessmentTool: 'hna', serviceClock: 'calendar' });
    expect(ln.catchment.postcodeDistricts).toEqual(expect.arrayContaining(['LS6', 'LS7']));
  });

  it('applies a site override only for that site', () => {
    const base = loadMapping(ROOT_MAPPINGS, 'referral');
    const cv = loadMapping(ROOT_MAPPINGS, 'referral', 'cardiff-vale');
    expect(base.resources.some((r) => r.name === 'welsh-language-flag')).toBe(false);
    expect(cv.resources.some((r) => r.name === 'welsh-language-flag')).toBe(true);
    expect(cv.files).toContain('mappings/sites/cardiff-vale/referral.yaml');
    expect(cv.codeTables.get('language')?.codes.get('welsh')?.display).toBe('Cymraeg');
    expect(base.codeTables.get('language')?.codes.get('welsh')?.display).toBe('Welsh');
  });

  it('reports every site.yaml problem at once with file and path, and YAML syntax errors with a line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-loader-'));
    const m = path.join(dir, 'mappings');
    mkdirSync(path.join(m, 'sites', 'bad-site'), { recursive: true });
    writeFileSync(
      path.join(m, 'sites', 'bad-site', 'site.yaml'),
      'id: bad-site\nname: Bad\nnation: atlantis\nidentifierNamespace: not-a-url\nassessmentTool: hna\ncrisisPathway: {text: x, contacts: []}\n',
    );
    expect(configError(() => loadSiteSettings(m, 'bad-site'))).toEqual([
      expect.stringMatching(/^mappings\/sites\/bad-site\/site\.yaml nation: /),
      expect.stringMatching(/^mappings\/sites\/bad-site\/site\.yaml identifierNamespace: /),
      expect.stringMatching(/^mappings\/sites\/bad-site\/site\.yaml crisisPathway\.contacts: /),
    ]);
    writeFileSync(path.join(m, 'sites', 'bad-site', 'site.yaml'), 'id: [unclosed\n');
    expect(configError(() => loadSiteSettings(m, 'bad-site'))[0]).toMatch(
      /^mappings\/sites\/bad-site\/site\.yaml line \d+ column \d+: /,
    );
    expect(configError(() => loadSiteSettings(m, 'nowhere'))[0]).toContain("unknown site 'nowhere'");
  });

  it('discovers golden examples with their context files, base and per site', () => {
    const examples = findGoldenExamples(ROOT_MAPPINGS);
    const csv = examples.find((e) => e.label === 'mappings/referral/examples/csv-multi-row-with-invalid');
    expect(csv).toMatchObject({ recordType: 'referral', format: 'csv' });
    const site = examples.find(
      (e) => e.label === 'mappings/sites/cardiff-vale/examples/referral/welsh-speaker',
    );
    expect(site).toMatchObject({ site: 'cardiff-vale', format: 'json' });
    expect(examples.some((e) => e.context !== undefined)).toBe(true);
  });
});
