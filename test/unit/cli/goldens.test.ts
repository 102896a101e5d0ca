// Every golden example in mappings/ (base and site-specific, every record type) through the same
// runner as `navbridge mappings test`, so new goldens are covered without touching this file.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGoldens } from '../../../src/cli/golden.js';
import { findGoldenExamples } from '../../../src/config/mappings.js';
import { loadProfiles } from '../../../src/config/startup.js';
import { ROOT } from './run.js';

const mappingsDir = path.join(ROOT, 'mappings');
const examples = findGoldenExamples(mappingsDir);

describe('golden examples', () => {
  it('exist for referral (base and site override)', () => {
    expect(examples.filter((e) => e.recordType === 'referral' && !e.site).length).toBeGreaterThanOrEqual(9);
    expect(examples.some((e) => e.recordType === 'referral' && e.site === 'cardiff-vale')).toBe(true);
  });

  it.each(examples.map((e) => [e.label, e] as const))('%s', async (_label, example) => {
    const { validator } = loadProfiles(path.join(ROOT, 'profiles'));
    const results = await runGoldens({ mappingsDir, validator, filter: example.label });
    const exact = results.find((r) => r.label === example.label);
    expect(exact?.detail ?? ['not run']).toEqual([]);
    expect(exact?.status).toBe('passed');
  });
});
