// outcome-recorded: every measure the record format allows maps to a coded Observation that validates,
// and the record enum, the outcome-measure code table and the CodeSystem list the same codes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OUTCOME_MEASURES } from '../../../src/records/codes.js';
import { MAPPINGS_DIR, mapWith, only, validationErrors } from './helpers.js';

const codeSystem = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      '../../../profiles/fsh-generated/resources/CodeSystem-outcome-measure.json',
    ),
    'utf8',
  ),
) as { concept: { code: string; display: string }[] };
const codeTables = parse(readFileSync(path.join(MAPPINGS_DIR, 'code-tables.yaml'), 'utf8')) as {
  tables: Record<string, { codes: Record<string, { display: string }> }>;
};

describe('outcome measures', () => {
  it('the record enum, the code table and the CodeSystem agree', () => {
    const table = codeTables.tables['outcome-measure']?.codes ?? {};
    expect(Object.keys(table)).toEqual([...OUTCOME_MEASURES]);
    expect(codeSystem.concept.map((c) => c.code)).toEqual([...OUTCOME_MEASURES]);
    for (const c of codeSystem.concept) expect(table[c.code]?.display, c.code).toBe(c.display);
  });

  it.each(OUTCOME_MEASURES.map((m) => [m]))(
    'maps an outcome-recorded %s event to a valid Observation',
    async (measure) => {
      const bundle = await mapWith('event', {
        id: `EVT-${measure}`,
        referralId: 'REF-60',
        at: '2026-02-20T10:00:00+00:00',
        type: 'outcome-recorded',
        measure,
        score: 12,
      });
      const [obs, ...more] = only(bundle, 'Observation');
      expect(more).toEqual([]);
      const coding = obs?.code.coding?.[0];
      expect(coding?.code).toBe(measure);
      expect(coding?.display).toBe(codeSystem.concept.find((c) => c.code === measure)?.display);
      expect(obs?.valueInteger).toBe(12);
      expect(validationErrors(bundle)).toEqual([]);
    },
  );
});
