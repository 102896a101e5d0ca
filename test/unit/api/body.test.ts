// The JSON body reader's pure parts: depth from the text alone, the one-pass shape check, and the
// parse that refuses prototype keys at their paths.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkRequestTarget,
  checkShape,
  DEFAULT_BODY_LIMITS,
  nestingDepth,
  parseJsonText,
} from '../../../src/api/body.js';
import { isNavbridgeError } from '../../../src/errors/index.js';
import { typeIdAtEnd } from '../../../src/intake/envelope.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    return { code: err.code, expressions: err.outcome.issue.flatMap((i) => i.expression ?? []) };
  }
  return undefined;
};

describe('nestingDepth', () => {
  it('counts brackets outside strings only, and stops at the limit', () => {
    expect(nestingDepth('{"a":[1,{"b":2}]}', 10)).toBe(3);
    expect(nestingDepth('{"a":"[[[[{{{{\\"[["}', 10)).toBe(1);
    expect(nestingDepth('"\\\\"', 10)).toBe(0);
    expect(nestingDepth('['.repeat(100_000), 48)).toBe(49);
    // Escaped quotes and runs of backslashes before a closing quote.
    expect(nestingDepth('{"a":"\\\\","b":["x"]}', 10)).toBe(2);
    expect(nestingDepth('{"a":"\\\\\\"[["}', 10)).toBe(1);
    expect(nestingDepth('["unterminated', 10)).toBe(1);
  });

  it('agrees with the depth of the parsed document, for any JSON', () => {
    const depthOf = (v: unknown): number =>
      Array.isArray(v)
        ? 1 + Math.max(0, ...v.map(depthOf))
        : v !== null && typeof v === 'object'
          ? 1 + Math.max(0, ...Object.values(v).map(depthOf))
          : 0;
    const text = fc.string({
      unit: fc.constantFrom('a', '"', '\\', '[', ']', '{', '}', 'é', '\ud83d\ude00'),
    });
    const doc = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(text, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(doc, (d) => {
        const json = JSON.stringify(d);
        expect(nestingDepth(json, 1_000)).toBe(depthOf(d));
      }),
    );
  });
});

describe('checkShape', () => {
  const limits = { ...DEFAULT_BODY_LIMITS, arrayLength: 3, stringLength: 5, values: 20 };
  it('names the path of every offender', () => {
    const out = checkShape({ a: [1, 2, 3, 4], b: { c: 'toolong' }, d: 'x\u0000', e: '\ud800' }, limits);
    expect(out.tooLarge.flatMap((i) => i.expression)).toEqual(['a', 'b.c']);
    expect(out.invalid.flatMap((i) => i.expression)).toEqual(['d', 'e']);
  });
  it('counts values across the document', () => {
    const out = checkShape(
      {
        a: [
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ],
        b: [
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ],
      },
      limits,
    );
    expect(out.tooLarge[0]?.diagnostics).toMatch(/more than 20 values/);
  });
  it('takes well-formed text with tabs, new lines and astral characters', () => {
    expect(checkShape({ a: 'a\tb\nc\r', e: '🚶' }, DEFAULT_BODY_LIMITS)).toEqual({
      tooLarge: [],
      invalid: [],
    });
  });
});

describe('parseJsonText', () => {
  it('refuses prototype keys as unknown fields at their paths', () => {
    expect(refusal(() => parseJsonText('{"a":[{"__proto__":{"x":1}}]}'))).toEqual({
      code: 'REC_BAD_REQUEST',
      expressions: ['a[0].__proto__'],
    });
    expect(refusal(() => parseJsonText('{"constructor":{"prototype":{"x":1}}}'))).toEqual({
      code: 'REC_BAD_REQUEST',
      expressions: ['constructor'],
    });
    expect(refusal(() => parseJsonText('{"b":{"prototype":1}}'))).toEqual({
      code: 'REC_BAD_REQUEST',
      expressions: ['b.prototype'],
    });
    expect(({} as { x?: unknown }).x).toBeUndefined();
  });
  it('refuses deep nesting 413 and bad JSON 400 without quoting it', () => {
    expect(refusal(() => parseJsonText(`${'['.repeat(49)}${']'.repeat(49)}`))?.code).toBe('REC_TOO_LARGE');
    expect(parseJsonText(`${'['.repeat(48)}${']'.repeat(48)}`)).toBeDefined();
    expect(refusal(() => parseJsonText('{"secret-123": '))?.code).toBe('REC_BAD_REQUEST');
  });
});

describe('checkRequestTarget', () => {
  it('refuses malformed percent-encoding, decoded control characters and lone surrogates', () => {
    for (const url of ['/a/%E0%A4%A', '/a/%ZZ', '/a/b%00', '/a?x=%1F', '/a/%ED%A0%80'])
      expect({ url, code: refusal(() => checkRequestTarget(url))?.code }).toEqual({
        url,
        code: 'REC_BAD_REQUEST',
      });
    for (const url of ['/fhir/Task?focus=ServiceRequest/abc', '/a/caf%C3%A9', '/a?x=a%20b'])
      expect(refusal(() => checkRequestTarget(url))).toBeUndefined();
  });
});

describe('typeIdAtEnd (reference resolution, linear)', () => {
  it('reads Type/id from the last segments, dropping _history', () => {
    expect(typeIdAtEnd('http://x.example/fhir/Patient/p-1')).toBe('Patient/p-1');
    expect(typeIdAtEnd('Patient/p-1/_history/3')).toBe('Patient/p-1');
    expect(typeIdAtEnd('http://x/fhir/Patient/p-1/_history/3')).toBe('Patient/p-1');
    expect(typeIdAtEnd('Patient/p-1')).toBe('Patient/p-1');
    expect(typeIdAtEnd('urn:uuid:0d4c8e6e-1f7c-4d3f-9b1a-7e5d2c1b0a9f')).toBeUndefined();
    expect(typeIdAtEnd('http://x/fhir/fooPatient/1')).toBeUndefined();
    expect(typeIdAtEnd('http://x/fhir/Patient/')).toBeUndefined();
  });
  it('names nothing in a reference longer than any real one (the 80,000-character probe)', () => {
    expect(typeIdAtEnd(`${'A'.repeat(80_000)}/Patient/1`)).toBeUndefined();
    expect(typeIdAtEnd(`http://x/${'a/'.repeat(1_000)}Patient/1`)).toBe('Patient/1');
  });
});
