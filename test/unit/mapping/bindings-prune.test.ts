// The sandbox's per-bindings merge (made once per bindings object) never lets a binding bring a
// disabled function back, and keeps each bindings object's own values; prune's copy drops exactly
// the empty values, own keys only.
import { describe, expect, it } from 'vitest';
import { prune } from '../../../src/mapping/prune.js';
import { type CompiledExpression, compileExpression } from '../../../src/mapping/sandbox.js';

const origin = { file: 'mapping.yaml', field: 'resources[x].expression' };
const compile = (source: string): CompiledExpression => {
  const c = compileExpression(source, origin);
  if ('code' in c) throw new Error(`does not compile: ${c.diagnostics}`);
  return c;
};

describe('sandbox bindings', () => {
  it('a binding named like a disabled function does not replace it, on every evaluation', async () => {
    const bindings = { now: () => 'spoofed', eval: () => 'spoofed', millis: () => 1 };
    for (const source of ['$now()', '$eval("1")', '$millis()']) {
      const e = compile(source);
      // Twice with the same object: the merged bindings made the first time are reused the second.
      await expect(e.evaluate({}, bindings)).rejects.toThrow(/is disabled in mappings/);
      await expect(e.evaluate({}, bindings)).rejects.toThrow(/is disabled in mappings/);
    }
  });

  it('each bindings object keeps its own values', async () => {
    const e = compile('$x & "-" & $item');
    const base = { x: 'a' };
    expect(await e.evaluate({}, { ...base, item: 1 })).toBe('a-1');
    expect(await e.evaluate({}, { ...base, item: 2 })).toBe('a-2');
    expect(await e.evaluate({}, { x: 'b', item: 3 })).toBe('b-3');
  });
});

describe('prune', () => {
  it('drops undefined, null, empty strings, arrays and objects, functions and non-finite numbers', () => {
    const input = {
      a: null,
      b: '',
      c: [],
      d: {},
      e: [null, '', {}, [[]]],
      f: () => 1,
      g: Number.NaN,
      h: Number.POSITIVE_INFINITY,
      keep: { zero: 0, no: false, s: 'x', list: [0, null, 'y'], nested: { empty: {}, v: 1 } },
    };
    expect(prune(input)).toEqual({ keep: { zero: 0, no: false, s: 'x', list: [0, 'y'], nested: { v: 1 } } });
    expect(prune({ a: { b: null } })).toBeUndefined();
    expect(prune([null, ''])).toBeUndefined();
  });

  it('copies own keys only, never the input objects themselves', () => {
    const proto = { inherited: 'no' };
    const own = Object.assign(Object.create(proto) as Record<string, unknown>, { mine: { v: 1 } });
    const out = prune(own) as Record<string, unknown>;
    expect(out).toEqual({ mine: { v: 1 } });
    expect(Object.keys(out)).toEqual(['mine']);
    expect(out.mine).not.toBe(own.mine);
  });

  it('turns a JSONata sequence (an array with extra members) into a plain array', () => {
    const seq = Object.assign([1, null, 2], { sequence: true, keepSingleton: true });
    const out = prune({ s: seq }) as { s: unknown[] };
    expect(out.s).toEqual([1, 2]);
    expect(Object.keys(out.s)).toEqual(['0', '1']);
  });
});
