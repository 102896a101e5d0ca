// The API's warm-up (src/service/warm-up.ts): the shipped mapping examples through the record
// pipeline with the process's own mappings and validator, bounded in rounds and time, new ids each
// round so validation really runs, and nothing that can store (its deps are mappings and validator).
import { readFileSync } from 'node:fs';
import type { Bundle } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { findGoldenExamples } from '../../../src/config/mappings.js';
import { loadMappingSet } from '../../../src/config/startup.js';
import type { Validator } from '../../../src/fhir/validate.js';
import { readInputs } from '../../../src/service/record-pipeline.js';
import { warmUp } from '../../../src/service/warm-up.js';
import { profileValidator } from '../../support/validator.js';

const DIR = 'mappings';
const mappings = loadMappingSet(DIR, ['leeds-north']);
const exampleRecords = findGoldenExamples(DIR).reduce(
  (n, e) => n + readInputs(e.recordType, e.input, readFileSync(e.input, 'utf8')).length,
  0,
);

/** The real validator, counting what it was asked to validate: the resource ids of each Bundle. */
function countingValidator() {
  const inner = profileValidator();
  const ids: string[] = [];
  const validator: Validator = {
    validateResource: (r, p) => inner.validateResource(r, p),
    validateBundle: (b: Bundle) => {
      for (const e of b.entry ?? []) if (e.resource?.id) ids.push(e.resource.id);
      return inner.validateBundle(b);
    },
  };
  return { validator, ids };
}

describe('warmUp', () => {
  it('takes every example record through the pipeline each round, most of them mapped and valid', async () => {
    expect(exampleRecords).toBeGreaterThan(20);
    const one = countingValidator();
    const r1 = await warmUp(
      { mappings, validator: one.validator },
      { mappingsDir: DIR, budgetMs: 120_000, rounds: 1 },
    );
    const two = countingValidator();
    const r2 = await warmUp(
      { mappings, validator: two.validator },
      { mappingsDir: DIR, budgetMs: 120_000, rounds: 2 },
    );
    expect([r1.rounds, r2.rounds]).toEqual([1, 2]);
    expect([r1.records, r2.records]).toEqual([exampleRecords, 2 * exampleRecords]);
    // The examples that are rejections by design (crisis, bad NHS number, …) map nothing.
    expect(r1.mapped).toBeGreaterThan(r1.records / 2);
    expect(r2.mapped).toBe(2 * r1.mapped);
    // The second round validates resources of its own (new record ids: at least one resource of each
    // mapped record), not only the first round's again; people and organisations recur, as they do.
    const distinct = (ids: string[]) => new Set(ids).size;
    expect(two.ids.length).toBe(2 * one.ids.length);
    expect(distinct(two.ids) - distinct(one.ids)).toBeGreaterThanOrEqual(r1.mapped);
  }, 120_000);

  it('stops when its time is up, and with no time runs nothing', async () => {
    const { validator } = countingValidator();
    let t = 0;
    const elapsedMs = () => (t += 1);
    const short = await warmUp({ mappings, validator }, { mappingsDir: DIR, budgetMs: 5, elapsedMs });
    expect(short.records).toBeGreaterThan(0);
    expect(short.records).toBeLessThan(exampleRecords);
    expect(short.rounds).toBe(0);
    const none = await warmUp({ mappings, validator }, { mappingsDir: DIR, budgetMs: 0 });
    expect(none).toEqual({ records: 0, mapped: 0, rounds: 0, ms: expect.any(Number) });
  }, 60_000);

  it('runs nothing, and does not throw, for a folder without examples', async () => {
    const { validator } = countingValidator();
    const r = await warmUp({ mappings, validator }, { mappingsDir: 'no-such-folder', budgetMs: 1_000 });
    expect(r.records).toBe(0);
  });
});
