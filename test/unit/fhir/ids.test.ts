// navbridge's own UUIDv5 must give exactly the ids the uuid package gave (ids are identity: a changed
// id would make every partner see new resources).
import fc from 'fast-check';
import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { NAVBRIDGE_NAMESPACE, resourceId, uuidV5 } from '../../../src/fhir/ids.js';

describe('uuidV5', () => {
  it('equals the uuid package on any well-formed name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        expect(uuidV5(name)).toBe(v5(name, NAVBRIDGE_NAMESPACE));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a known resource id', () => {
    expect(resourceId('leeds-north', 'Patient', 'REF-2025-0142')).toBe(
      'f0276e0d-3363-5997-912c-787c98bed572',
    );
  });
});
