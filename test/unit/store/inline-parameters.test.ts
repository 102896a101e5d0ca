// Parameters written into a statement's text (a transaction's first statement, sent with BEGIN):
// each `$n` outside quotes and comments becomes its value's literal; anything that cannot be written
// in safely leaves the statement to be sent with real parameters (undefined).
import { describe, expect, it } from 'vitest';
import { inlineParameters } from '../../../src/store/pg.js';

describe('inlineParameters', () => {
  it('writes each parameter as a quoted literal, $10 apart from $1', () => {
    const values = ['a', 2, true, null, 5, 6, 7, 8, 9, 'ten'];
    expect(inlineParameters('SELECT $1, $2::int, $3, $4, $10', values)).toBe(
      "SELECT 'a', '2'::int, 'true', NULL, 'ten'",
    );
  });

  it('doubles quotes and escapes backslashes as pg does', () => {
    expect(inlineParameters('SELECT $1', ["o'brien"])).toBe("SELECT 'o''brien'");
    expect(inlineParameters('SELECT $1', ['a\\b'])).toBe("SELECT  E'a\\\\b'");
  });

  it('writes flat arrays in pg array text', () => {
    // pg's array text is {"a\"b",NULL,"c\\d","3"}; its literal escapes each backslash again.
    expect(inlineParameters('SELECT $1::text[]', [['a"b', null, 'c\\d', 3]])).toBe(
      String.raw`SELECT  E'{"a\\"b",NULL,"c\\\\d","3"}'::text[]`,
    );
    expect(inlineParameters('SELECT $1::text[]', [['x', 'y']])).toBe(`SELECT '{"x","y"}'::text[]`);
  });

  it('leaves quoted strings, quoted identifiers and comments as they are', () => {
    const text = `SELECT '$1 it''s', "$1", $1 -- it's $1\n, $2 /* $1 */`;
    expect(inlineParameters(text, ['x', 'y'])).toBe(
      `SELECT '$1 it''s', "$1", 'x' -- it's $1\n, 'y' /* $1 */`,
    );
  });

  it('gives up on what it cannot write in safely', () => {
    expect(inlineParameters('SELECT $1', [new Date()])).toBeUndefined();
    expect(inlineParameters('SELECT $1', [Buffer.from('x')])).toBeUndefined();
    expect(inlineParameters('SELECT $1', [{ a: 1 }])).toBeUndefined();
    expect(inlineParameters('SELECT $1', [[['nested']]])).toBeUndefined();
    expect(inlineParameters('SELECT $1', [Number.NaN])).toBeUndefined();
    expect(inlineParameters('SELECT $1', ['nul\u0000'])).toBeUndefined();
    expect(inlineParameters('SELECT $2', ['only one'])).toBeUndefined();
    expect(inlineParameters('SELECT $$x$$, $1', ['a'])).toBeUndefined();
    expect(inlineParameters("SELECT E'\\'', $1", ['a'])).toBeUndefined();
    expect(inlineParameters("SELECT 'unterminated, $1", ['a'])).toBeUndefined();
    expect(inlineParameters('SELECT /* nested /* */ */ $1', ['a'])).toBeUndefined();
  });
});
