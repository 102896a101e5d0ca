// Property: whatever value is put anywhere in a record, no diagnostic repeats it (values are patient data).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecord, type RecordType } from '../../../src/records/index.js';
import { ARB_NOW, arbAssessment, arbEvent, arbReferral, arbSupportPlan } from '../../support/arbitraries.js';

type Path = (string | number)[];

function leafPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  }
  return [path];
}

function replaceAt(value: unknown, path: Path, leaf: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = leaf;
  return copy;
}

const MARKERS = [
  'ZQXSECRET',
  'ZQXSECRET'.repeat(700),
  '2099-12-31',
  '2021-02-30',
  '3478526985',
  '2099-01-01T10:00:00+01:00',
  987654321,
  -987654321.5,
];
const MARKER_TEXT = ['ZQXSECRET', '2099-12-31', '2021-02-30', '3478526985', '2099-01-01T10', '987654321'];

const cases: [RecordType, fc.Arbitrary<unknown>][] = [
  ['referral', arbReferral()],
  ['assessment', arbAssessment()],
  ['support-plan', arbSupportPlan()],
  ['event', arbEvent()],
];

describe('diagnostics never echo input values', () => {
  it.each(cases)('%s: any leaf replaced by a marker', (type, arb) => {
    let rejected = 0;
    fc.assert(
      fc.property(
        arb.chain((record) =>
          fc.tuple(fc.constant(record), fc.constantFrom(...leafPaths(record)), fc.constantFrom(...MARKERS)),
        ),
        ([record, path, marker]) => {
          const { issues } = checkRecord(type, replaceAt(record, path, marker), {
            now: ARB_NOW,
            nhsNumberCheck: 'error',
          });
          if (issues.length > 0) rejected++;
          for (const i of issues) for (const m of MARKER_TEXT) expect(i.diagnostics).not.toContain(m);
        },
      ),
      { numRuns: 100 },
    );
    // Most markers break the record, so the property really inspected diagnostics.
    expect(rejected).toBeGreaterThan(50);
  });
});
