import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson } from '../../../src/fhir/json.js';

describe('cloneJson', () => {
  it('gives an equal value that shares no array or object with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value);
        expect(copy).toStrictEqual(value);
        const shared = (a: unknown, b: unknown): boolean =>
          typeof a === 'object' &&
          a !== null &&
          (a === b ||
            Object.keys(a).some((k) =>
              shared((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
            ));
        expect(shared(value, copy)).toBe(false);
      }),
    );
  });

  it('keeps an own "__proto__" key a key, not the copy\'s prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneJson(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it('copies a resource so that changing the copy leaves the original as it was', () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Smith', given: ['Ann'] }], active: true };
    const copy = cloneJson([patient]);
    (copy[0] as typeof patient).name[0]?.given.push('Bea');
    expect(patient.name[0]?.given).toEqual(['Ann']);
    expect(Object.keys(copy[0] as object)).toEqual(['resourceType', 'name', 'active']);
  });
});
