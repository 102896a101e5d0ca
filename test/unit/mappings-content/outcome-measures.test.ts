// outcome-recorded: each measure has its real range and shape, checked before mapping; every measure maps
// to a coded Observation that validates (parts as components, verified LOINC codes beside navbridge's);
// the record enum and definitions, the code tables and the CodeSystems list the same codes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkRecord } from '../../../src/records/check.js';
import { OUTCOME_MEASURES } from '../../../src/records/codes.js';
import { MEASURES, type MeasureDefinition, measureItemCode } from '../../../src/records/outcome-measures.js';
import { MAPPINGS_DIR, mapWith, NOW, only, validationErrors } from './helpers.js';

const generated = (id: string) =>
  JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, `../../../profiles/fsh-generated/resources/CodeSystem-${id}.json`),
      'utf8',
    ),
  ) as { concept: { code: string; display: string }[] };
const codeSystem = generated('outcome-measure');
const itemSystem = generated('outcome-measure-item');
const codeTables = parse(readFileSync(path.join(MAPPINGS_DIR, 'code-tables.yaml'), 'utf8')) as {
  tables: Record<string, { codes: Record<string, { code?: string; display: string }> }>;
};

const defs = Object.values(MEASURES) as MeasureDefinition[];
/** A valid set of fields for the measure: its lowest total, or every part at its lowest. */
function validFields(m: MeasureDefinition, pick: 'min' | 'max' = 'min'): Record<string, unknown> {
  if (m.total) return { score: m.total[pick] };
  const parts = m.parts as NonNullable<MeasureDefinition['parts']>;
  return {
    [parts.field]: Object.fromEntries(parts.list.map((i, n) => [i.key, n % 2 ? parts.max : parts[pick]])),
  };
}
const outcome = (measure: string, fields: Record<string, unknown>) => ({
  id: `EVT-${measure}`,
  site: 'content-test-site',
  version: 1,
  referralId: 'REF-60',
  at: '2026-02-20T10:00:00+00:00',
  type: 'outcome-recorded',
  measure,
  ...fields,
});
const problems = (record: unknown) =>
  checkRecord('event', record, { now: new Date(NOW), nhsNumberCheck: 'error' }).issues.map(
    (i) => i.diagnostics,
  );

describe('outcome measures: codes', () => {
  it('the record enum, the code table and the CodeSystem agree', () => {
    const table = codeTables.tables['outcome-measure']?.codes ?? {};
    expect(Object.keys(table)).toEqual([...OUTCOME_MEASURES]);
    expect(codeSystem.concept.map((c) => c.code)).toEqual([...OUTCOME_MEASURES]);
    for (const c of codeSystem.concept) expect(table[c.code]?.display, c.code).toBe(c.display);
    expect(Object.keys(MEASURES)).toEqual(OUTCOME_MEASURES.filter((m) => m !== 'other'));
  });

  it('every part of every measure has its outcome-measure-item code, in the table and the CodeSystem', () => {
    const expected = defs.flatMap((m) =>
      (m.parts?.list ?? []).map((i) => ({ code: measureItemCode(m.id, i.key), display: i.display })),
    );
    expect(itemSystem.concept.map(({ code, display }) => ({ code, display }))).toEqual(expected);
    const table = codeTables.tables['outcome-measure-item']?.codes ?? {};
    expect(Object.entries(table).map(([code, e]) => ({ code, display: e.display }))).toEqual(expected);
  });

  it('LOINC codes only where verified, and the same in the LOINC table', () => {
    const loinc = codeTables.tables['outcome-measure-loinc']?.codes ?? {};
    const withLoinc = defs.filter((m) => m.loinc).map((m) => [m.id, m.loinc?.code, m.loinc?.display]);
    expect(withLoinc).toEqual([
      ['phq-9', '44261-6', 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]'],
      ['gad-7', '70274-6', 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]'],
    ]);
    expect(Object.entries(loinc).map(([m, e]) => [m, e.code, e.display])).toEqual(withLoinc);
  });
});

describe('outcome measures: ranges and shapes', () => {
  it.each([
    ['wemwbs', 14, 70],
    ['swemwbs', 7, 35],
    ['core-10', 0, 40],
    ['phq-9', 0, 27],
    ['gad-7', 0, 21],
    ['reqol-10', 0, 40],
  ])('%s takes whole-number totals %i–%i only', (measure, min, max) => {
    for (const score of [min, max]) expect(problems(outcome(measure, { score }))).toEqual([]);
    expect(problems(outcome(measure, { score: min - 1 }))).toEqual([`score: must be at least ${min}`]);
    expect(problems(outcome(measure, { score: max + 1 }))).toEqual([`score: must be at most ${max}`]);
    expect(problems(outcome(measure, { score: min + 0.5 }))).toEqual(['score: must be a whole number']);
  });

  it('refuses the examples of the issue: WEMWBS −5, PHQ-9 9999, Recovery Star 3.5', () => {
    expect(problems(outcome('wemwbs', { score: -5 }))).toEqual(['score: must be at least 14']);
    expect(problems(outcome('phq-9', { score: 9999 }))).toEqual(['score: must be at most 27']);
    expect(problems(outcome('recovery-star', { score: 3.5 }))).toEqual([
      'domains: is required',
      'score: unknown field',
    ]);
  });

  it.each([
    ['recovery-star', 'domains', 10, 1, 10],
    ['ons4', 'items', 4, 0, 10],
    ['dialog', 'items', 11, 1, 7],
  ] as const)('%s needs all its %s (%i), each a whole number %i–%i', (measure, field, count, min, max) => {
    const m = MEASURES[measure];
    expect(m.parts?.list).toHaveLength(count);
    const good = validFields(m) as Record<string, Record<string, number>>;
    expect(problems(outcome(measure, good))).toEqual([]);
    const [first, second] = Object.keys(good[field] ?? {});
    const bad = { ...good[field], [first as string]: max + 1, [second as string]: min - 0.5 };
    expect(problems(outcome(measure, { [field]: bad }))).toEqual([
      `${field}.${first}: must be at most ${max}`,
      `${field}.${second}: must be a whole number`,
    ]);
    const { [first as string]: _dropped, ...missing } = good[field] ?? {};
    expect(problems(outcome(measure, { [field]: { ...missing, extra: min } }))).toEqual([
      `${field}.${first}: is required`,
      `${field}.extra: unknown field`,
    ]);
  });

  it("'other' takes any finite score", () => {
    expect(problems(outcome('other', { measureName: 'Local wellbeing star', score: -2.5 }))).toEqual([]);
  });
});

describe('outcome measures: Observations', () => {
  it.each(OUTCOME_MEASURES.map((m) => [m]))(
    'maps an outcome-recorded %s event to a valid Observation',
    async (measure) => {
      const def = measure === 'other' ? undefined : (MEASURES[measure] as MeasureDefinition);
      const fields = def ? validFields(def, 'max') : { score: 12 };
      const { site: _site, ...record } = outcome(measure, fields);
      const bundle = await mapWith('event', record);
      const [obs, ...more] = only(bundle, 'Observation');
      expect(more).toEqual([]);
      const coding = obs?.code.coding?.[0];
      expect(coding?.code).toBe(measure);
      expect(coding?.display).toBe(codeSystem.concept.find((c) => c.code === measure)?.display);
      expect(obs?.code.coding?.[1]).toEqual(
        def?.loinc ? { system: 'http://loinc.org', ...def.loinc } : undefined,
      );
      expect(validationErrors(bundle)).toEqual([]);
      if (def?.parts) {
        expect(obs?.valueInteger).toBeUndefined();
        const values = Object.values(fields[def.parts.field] as Record<string, number>);
        expect(obs?.component?.map((c) => [c.code.coding?.[0]?.code, c.valueInteger])).toEqual(
          def.parts.list.map((i, n) => [measureItemCode(def.id, i.key), values[n]]),
        );
      } else {
        expect(obs?.valueInteger).toBe(fields.score);
        expect(obs?.component).toBeUndefined();
      }
    },
  );

  it('maps the Recovery Star as ten domain components, named, not one total', async () => {
    const def = MEASURES['recovery-star'];
    const { site: _site, ...record } = outcome('recovery-star', validFields(def));
    const [obs] = only(await mapWith('event', record), 'Observation');
    expect(obs?.component).toHaveLength(10);
    expect(obs?.component?.[0]).toEqual({
      code: {
        coding: [
          {
            system: 'https://fhir.navbridge.org.uk/CodeSystem/outcome-measure-item',
            code: 'recovery-star.managing-mental-health',
            display: 'Managing mental health',
          },
        ],
        text: 'Managing mental health',
      },
      valueInteger: 1,
    });
  });
});
