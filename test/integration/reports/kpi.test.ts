// The KPI report against a seeded caseload (kpi-caseload.ts) whose figures were worked out by hand:
// JSON, FHIR MeasureReport, CSV; a site sees only itself; bad periods are 400 with their paths.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { KPI_GROUPS } from '../../../src/service/report-formats.js';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS } from '../../support/db.js';
import { profileValidator } from '../../support/validator.js';
import { ADMIN_TOKEN, type Harness, SITE_X_KEY, SITE_Y_KEY, startHarness } from '../navigator-api/harness.js';
import { Seeder, seedCardiff, seedLeeds } from './kpi-caseload.js';

const X = { 'X-API-Key': SITE_X_KEY };
const Y = { 'X-API-Key': SITE_Y_KEY };
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const LEEDS_PERIOD = 'from=2026-03-16&to=2026-06-30';

describe('KPI report', () => {
  let h: Harness;
  const kpi = (headers: Record<string, string>, query: string) =>
    request(h.app).get(`/api/v1/reports/kpi?${query}`).set(headers);

  beforeAll(async () => {
    h = await startHarness();
    // Every record is in the past at the report's instant (the morning after the period).
    h.clock.now = new Date('2026-07-01T12:00:00Z');
    const s = new Seeder(h);
    await seedLeeds(s);
    await seedCardiff(s);
  }, 300_000);
  afterAll(async () => h?.close());

  it('computes every figure of the leeds-north caseload (calendar clock) as worked out by hand', async () => {
    const res = await kpi(X, LEEDS_PERIOD);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      site: 'leeds-north',
      period: { from: '2026-03-16', to: '2026-06-30' },
      generatedAt: '2026-07-01T12:00:00.000Z',
      clock: 'calendar',
      // R1–R12, R14, R15 (R13 entered in error; 15 March 23:30 GMT and 1 July 00:30 BST are outside).
      received: {
        total: 14,
        byRoute: {
          gp: 8,
          'social-prescriber': 1,
          self: 1,
          cmht: 1,
          'crisis-team': 1,
          'practice-nurse': 1,
          cpn: 1,
        },
      },
      triage: {
        // Held: R4, R5, R6; rejected: R7 (in crisis), R8 (out of area).
        atReceipt: { accept: 9, hold: 3, reject: 2 },
        // Rejected R6 (consent refused), R7, R8, R9 (navigator); withdrawn R11; held R4.
        now: { accepted: 8, held: 1, rejected: 4, withdrawn: 1 },
        rejectedByReason: { 'no-consent': 1, 'in-crisis': 1, 'out-of-area': 1, 'not-eligible': 1 },
      },
      // Met: R1, R2 (71.5 h across the clock change), R3, R5, R6, R14, R15; late: R9 (96 h); missed: R4
      // (held), R10 (never reached); running: the 30 June 23:30 BST referral; excluded: R7, R8, R11.
      firstContact: {
        target: '72 hours',
        met: 7,
        late: 1,
        missed: 2,
        running: 1,
        excluded: 3,
        percentMet: 70,
      },
      // Met: R1, R2, R14, R15; late: R3 (10:30 BST, due 10:00 London); missed R4, R5, R10; excluded R6,
      // R7, R8, R9, R11 (rejected or withdrawn unassessed).
      assessment: { target: '14 days', met: 4, late: 1, missed: 3, running: 1, excluded: 5, percentMet: 50 },
      medianDays: {
        // 0.21, 0.21, 0.25, 1, 1, 1.08, 2.98, 4 → 1
        receivedToContact: 1,
        // R14 6.75, R1 7, R15 7, R2 9.9, R3 13.77 → 7
        contactToAssessment: 7,
        // R15 8, R1 28, R14 35, R2 50.1 → 31.5
        assessmentToDischarge: 31.5,
        // R15 16, R1 36, R10 42, R14 42, R2 62.98 → 42
        receivedToDischarge: 42,
      },
      discharges: {
        total: 5,
        byReason: {
          'mutual-agreement': 2,
          'moved-away': 1,
          'non-engagement': 1,
          'escalated-to-clinical-care': 1,
        },
        percentMutualAgreement: 40,
        // 5 of 14
        percentOfReceived: 35.7,
      },
      // R1's plan (2) and R14's plan version 2 (2; version 1's single referral does not add one);
      // Citizens Advice Leeds twice is one service.
      onwardReferrals: {
        total: 4,
        byServiceType: { 'debt-advice': 2, 'physical-activity': 1, counselling: 1 },
        distinctServices: 3,
      },
      needsIdentified: { byDomain: { accommodation: 2, benefits: 1, 'mental-health': 2, finances: 1 } },
      outcomes: [
        // R14: 18 → 9.
        { measure: 'phq-9', people: 1, meanFirst: 18, meanLast: 9, meanChange: -9 },
        // R1 40 → 48, R14 30 → 35 (the 60 entered in error does not count); R15's single score neither.
        { measure: 'wemwbs', people: 2, meanFirst: 35, meanLast: 41.5, meanChange: 6.5 },
      ],
      // Not closed now: R3, R4 (on hold), R5, the 30 June referral, and the two outside the period.
      openCaseload: { open: 6, onHold: 1 },
      // From first contact: R15 15, R1 35, R14 41.75 (within 6 weeks), R2 60 (over); R10 never reached.
      supportDuration: {
        targetWeeks: 6,
        days: 'calendar',
        discharged: 4,
        withinTarget: 3,
        overTarget: 1,
        percentWithinTarget: 75,
        medianDays: 38.4,
      },
    });
  });

  it('counts working days for a working-days site (bank holidays skipped)', async () => {
    const res = await kpi(Y, 'from=2026-03-30&to=2026-04-30');
    expect(res.status).toBe(200);
    expect(res.body.clock).toBe('working-days');
    expect(res.body.received).toEqual({ total: 2, byRoute: { gp: 1, self: 1 } });
    expect(res.body.firstContact).toEqual({
      target: '3 working days',
      met: 2,
      late: 0,
      missed: 0,
      running: 0,
      excluded: 0,
      percentMet: 100,
    });
    expect(res.body.assessment).toMatchObject({ target: '10 working days', met: 0, late: 1, missed: 1 });
    expect(res.body.assessment.percentMet).toBe(0);
    expect(res.body.supportDuration).toMatchObject({
      targetWeeks: 6,
      days: 'working-days',
      discharged: 1,
      withinTarget: 1,
    });
  });

  it('answers the same figures as a FHIR MeasureReport against the shipped Measure', async () => {
    const res = await kpi(X, `${LEEDS_PERIOD}&_format=fhir`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const mr = res.body;
    expect(mr).toMatchObject({
      resourceType: 'MeasureReport',
      status: 'complete',
      type: 'summary',
      measure: 'https://fhir.navbridge.org.uk/Measure/navbridge-kpi',
      period: { start: '2026-03-16', end: '2026-06-30' },
      reporter: { identifier: { value: 'NLN01' } },
    });
    // Valid FHIR R4 (base MeasureReport), and so is the shipped Measure.
    expect(
      profileValidator()
        .validateResource(mr)
        .filter((i) => i.severity === 'error'),
    ).toEqual([]);
    const measure = JSON.parse(
      readFileSync('profiles/fsh-generated/resources/Measure-navbridge-kpi.json', 'utf8'),
    ) as { url: string; group: { code: { coding: { code: string }[] } }[] };
    const codes = (groups: { code: { coding: { code: string }[] } }[]) =>
      groups.map((g) => g.code.coding[0]!.code);
    expect(codes(measure.group)).toEqual([...KPI_GROUPS]);
    expect(
      profileValidator()
        .validateResource(measure as never)
        .filter((i) => i.severity === 'error'),
    ).toEqual([]);
    expect(codes(mr.group)).toEqual([...KPI_GROUPS]);
    const g = (code: string) =>
      mr.group.find((x: { code: { coding: { code: string }[] } }) => x.code.coding[0]!.code === code);
    const pop = (code: string, p: string) =>
      g(code).population.find((x: { code: { coding: { code: string }[] } }) => x.code.coding[0]!.code === p)
        .count;
    expect(pop('referrals-received', 'initial-population')).toBe(14);
    expect(pop('first-contact-within-target', 'numerator')).toBe(7);
    expect(pop('first-contact-within-target', 'denominator')).toBe(10);
    expect(g('first-contact-within-target').measureScore).toEqual({
      value: 70,
      unit: '%',
      system: 'http://unitsofmeasure.org',
      code: '%',
    });
    expect(g('median-days-assessment-to-discharge').measureScore.value).toBe(31.5);
    const route = g('referrals-received').stratifier[0].stratum.map(
      (s: { value: { text: string }; population: { count: number }[] }) => [
        s.value.text,
        s.population[0]!.count,
      ],
    );
    expect(Object.fromEntries(route)).toEqual({
      cmht: 1,
      cpn: 1,
      'crisis-team': 1,
      gp: 8,
      'practice-nurse': 1,
      self: 1,
      'social-prescriber': 1,
    });
    expect(g('outcome-change').stratifier[0].stratum[1]).toMatchObject({
      value: { text: 'wemwbs' },
      measureScore: { value: 6.5 },
    });
    // The same with Accept: application/fhir+json.
    const accept = await kpi(X, LEEDS_PERIOD).set('Accept', 'application/fhir+json');
    expect(accept.body.resourceType).toBe('MeasureReport');
  });

  it('answers CSV for Accept: text/csv and ?_format=csv, one figure per row', async () => {
    const res = await kpi(X, LEEDS_PERIOD).set('Accept', 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('kpi-leeds-north-2026-03-16-2026-06-30.csv');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('figure,breakdown,value');
    for (const line of [
      'referrals-received,,14',
      'referrals-received,gp,8',
      'rejections,no-consent,1',
      'first-contact-percent-met,,70',
      'assessment,late,1',
      'median-days,assessmentToDischarge,31.5',
      'discharges-percent-of-received,,35.7',
      'distinct-onward-services,,3',
      'outcome-mean-change,wemwbs,6.5',
      'support-target,,6 weeks (calendar)',
      'support-median-days,,38.4',
    ])
      expect(lines).toContain(line);
    const q = await kpi(X, `${LEEDS_PERIOD}&_format=csv`);
    expect(q.text).toBe(res.text);
  });

  it('shows a site only itself; the admin names the site', async () => {
    const other = await kpi(Y, `site=leeds-north&${LEEDS_PERIOD}`);
    expect(other.status).toBe(403);
    const own = await kpi(Y, LEEDS_PERIOD);
    expect(own.body.site).toBe('cardiff-vale');
    expect(own.body.received.total).toBe(2);
    const admin = await kpi(ADMIN, `site=leeds-north&${LEEDS_PERIOD}`);
    expect(admin.status).toBe(200);
    expect(admin.body.received.total).toBe(14);
    const unnamed = await kpi(ADMIN, LEEDS_PERIOD);
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.issue[0].expression).toEqual(['query.site']);
  });

  it('refuses a bad period with every problem and its path, never echoing the input', async () => {
    const both = await kpi(X, 'from=2026-02-30&to=yesterday');
    expect(both.status).toBe(400);
    expect(both.body.resourceType).toBe('OperationOutcome');
    expect(both.body.issue.map((i: { expression: string[] }) => i.expression[0])).toEqual([
      'query.from',
      'query.to',
    ]);
    expect(JSON.stringify(both.body)).not.toContain('yesterday');
    const reversed = await kpi(X, 'from=2026-04-01&to=2026-03-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.issue[0].expression).toEqual(['query.to']);
    const long = await kpi(X, 'from=2020-01-01&to=2026-01-01');
    expect(long.status).toBe(400);
    const missing = await kpi(X, 'from=2026-04-01');
    expect(missing.status).toBe(400);
    expect(missing.body.issue.map((i: { expression: string[] }) => i.expression[0])).toContain('query.to');
    const unknown = await kpi(X, `${LEEDS_PERIOD}&_format=xml`);
    expect(unknown.status).toBe(400);
  });

  it('prints the report as a terminal table, or as JSON with --json (navbridge report kpi)', async () => {
    const root = path.resolve(import.meta.dirname, '..', '..', '..');
    const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-kpi-cli-'));
    writeFileSync(
      path.join(dir, 'navbridge.config.yaml'),
      [
        `mappingsDir: ${path.join(root, 'mappings')}`,
        `profilesDir: ${path.join(root, 'profiles')}`,
        'sites: [leeds-north, cardiff-vale]',
        '',
      ].join('\n'),
    );
    const run = async (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, {
        stdout: { write: (x: string) => (stdout += x) },
        stderr: { write: (x: string) => (stderr += x) },
        cwd: dir,
        env: {
          NAVBRIDGE_CONFIG: 'navbridge.config.yaml',
          DATABASE_URL: TEST_DATABASE_URL,
          NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
          NAVBRIDGE_DB_SCHEMA: h.t.schema,
          NAVBRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
          LOG_LEVEL: 'silent',
        },
      });
      return { code, stdout, stderr };
    };
    const args = ['report', 'kpi', '--site', 'leeds-north', '--from', '2026-03-16', '--to', '2026-06-30'];
    const table = await run(args);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^KPI report: leeds-north, 2026-03-16 to 2026-06-30 \(calendar clock; as at /);
    const row = (label: string) => lines.find((l) => l.trimStart().startsWith(label))?.trim();
    expect(row('Received')).toMatch(/^Received\s+14$/);
    expect(row('gp')).toMatch(/^gp\s+8$/);
    expect(row('Discharged ')).toMatch(/^Discharged\s+5$/);
    expect(row('wemwbs (2)')).toMatch(/35 → 41.5 \(\+6.5\)$/);
    expect(row('within target')).toMatch(/3 \(75.0 %\)$/);
    // The CLI's clock is the real one: only figures that do not depend on the report's instant compare.
    const json = await run([...args, '--json']);
    expect(json.code).toBe(0);
    const cli = JSON.parse(json.stdout);
    const api = (await kpi(X, LEEDS_PERIOD)).body;
    for (const k of [
      'received',
      'triage',
      'medianDays',
      'discharges',
      'onwardReferrals',
      'outcomes',
      'supportDuration',
    ])
      expect(cli[k]).toEqual(api[k]);
    const usage = await run(['report', 'kpi', '--site', 'leeds-north']);
    expect(usage.code).toBe(2);
  });
});
