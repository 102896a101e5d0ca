// The sandbox's linear $substring and $length answer exactly as JSONata's built-ins do — for any
// string (astral characters, lone surrogates), any start (negative from the end) and length, called
// with arguments or on the context — while costing no array of every character.
import fc from 'fast-check';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileExpression, linearLength, linearSubstring } from '../../../src/mapping/sandbox.js';

const origin = { file: 'test.yaml', field: 'expression' };
const ours = (source: string) => {
  const c = compileExpression(source, origin);
  if (!('evaluate' in c)) throw new Error(`does not compile: ${c.diagnostics}`);
  return (input: unknown) => c.evaluate(input, {});
};
const theirs = (source: string) => {
  const e = jsonata(source);
  return (input: unknown) => e.evaluate(input);
};
const text = fc.string({
  unit: fc.constantFrom('a', 'é', ' ', '\ud83d\ude00', '\ud83d', '\ude00', '\u00e9\u0301', 'z'),
  maxLength: 30,
});

describe('linear $substring and $length', () => {
  it('agree with the built-ins directly', async () => {
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.integer({ min: -40, max: 40 }),
        fc.option(fc.integer({ min: -5, max: 40 })),
        async (s, start, len) => {
          const want =
            len === null
              ? await jsonata('$substring($s, $start)').evaluate({}, { s, start })
              : await jsonata('$substring($s, $start, $len)').evaluate({}, { s, start, len });
          expect(len === null ? linearSubstring(s, start) : linearSubstring(s, start, len)).toBe(want);
        },
      ),
    );
    await fc.assert(
      fc.asyncProperty(text, async (s) => {
        expect(linearLength(s)).toBe(await jsonata('$length($s)').evaluate({}, { s }));
      }),
    );
  });

  it('replace the built-ins in compiled mappings, with the same argument checks', async () => {
    for (const source of [
      '$substring(s, 2, 3)',
      '$substring(s, -3)',
      's.$substring(1, 2)',
      '$length(s)',
      's.$length()',
      '$substring(missing, 0, 5)',
      '$length(missing)',
    ]) {
      for (const s of ['hello world', '\ud83d\ude00ab\ud83d\ude00cd', ''])
        expect(await ours(source)({ s }), `${source} on ${JSON.stringify(s)}`).toEqual(
          await theirs(source)({ s }),
        );
    }
    // A number where a string belongs: the same JSONata type error as the built-in.
    await expect(ours('$substring(n, 0, 1)')({ n: 5 })).rejects.toMatchObject({ code: 'T0410' });
    await expect(theirs('$substring(n, 0, 1)')({ n: 5 })).rejects.toMatchObject({ code: 'T0410' });
  });
});
