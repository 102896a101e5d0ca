// Property: any schema-valid record maps to FHIR that validates against navbridge's profiles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lazyMappingSet } from '../../../src/config/startup.js';
import type { RecordType } from '../../../src/records/index.js';
import { Pipeline } from '../../../src/service/record-pipeline.js';
import { ARB_NOW, arbAssessment, arbEvent, arbReferral, arbSupportPlan } from '../../support/arbitraries.js';
import { profileValidator } from '../../support/validator.js';

const validator = profileValidator();
const pipeline = new Pipeline({
  mappings: lazyMappingSet('mappings'),
  now: ARB_NOW.toISOString(),
  validator,
});
const SITES = ['leeds-north', 'cardiff-vale'] as const;

async function assertMapsToValidFhir(recordType: RecordType, arb: fc.Arbitrary<object>, numRuns: number) {
  await fc.assert(
    fc.asyncProperty(arb, fc.constantFrom(...SITES), async (record, anySite) => {
      // A site records assessments with its own tool only (leeds-north: HNA, cardiff-vale: Recovery Plan).
      const tool = (record as { tool?: string }).tool;
      const site = tool === undefined ? anySite : tool === 'hna' ? 'leeds-north' : 'cardiff-vale';
      const result = await pipeline.run(recordType, { input: { ...record, site }, issues: [] });
      if (result.kind !== 'bundle') {
        // Show which rule failed (paths and rules only: never values).
        throw new Error(JSON.stringify(result.outcome.issue.map((i) => [i.expression?.[0], i.diagnostics])));
      }
      // A retracted event's resources depend on its type, which only the store knows: without a
      // context file nothing can be retracted. Every other record produces resources.
      const r = record as { type?: string; recordType?: string };
      const retractsEvent = r.type === 'entered-in-error' && r.recordType === 'event';
      if (!retractsEvent) expect(result.bundle.entry?.length).toBeGreaterThan(0);
      expect(result.bundle.entry?.every((e) => e.resource?.meta?.profile?.length === 1)).toBe(true);
    }),
    { numRuns, seed: 20261125 },
  );
}

describe('any schema-valid record maps to profile-valid FHIR', () => {
  it('referral', async () => assertMapsToValidFhir('referral', arbReferral(), 60), 120_000);
  it(
    'assessment (both tools)',
    async () => assertMapsToValidFhir('assessment', arbAssessment(), 60),
    120_000,
  );
  it('support plan', async () => assertMapsToValidFhir('support-plan', arbSupportPlan(), 60), 120_000);
  it('event (every type)', async () => assertMapsToValidFhir('event', arbEvent(), 120), 120_000);
});
