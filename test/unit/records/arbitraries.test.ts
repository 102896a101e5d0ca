// The shared arbitraries really produce records that pass every structural rule, and checking keeps
// the record as sent (Unicode text, instants with their offsets).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecord, type RecordType } from '../../../src/records/index.js';
import { ARB_NOW, arbAssessment, arbEvent, arbReferral, arbSupportPlan } from '../../support/arbitraries.js';

const cases: [RecordType, fc.Arbitrary<unknown>][] = [
  ['referral', arbReferral()],
  ['assessment', arbAssessment()],
  ['support-plan', arbSupportPlan()],
  ['event', arbEvent()],
];

describe('arbitraries', () => {
  it.each(cases)('200 generated %s records pass checkRecord unchanged', (type, arb) => {
    fc.assert(
      fc.property(arb, (input) => {
        const { record, issues } = checkRecord(type, input, { now: ARB_NOW, nhsNumberCheck: 'error' });
        expect(issues).toEqual([]);
        expect(record).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });
});
