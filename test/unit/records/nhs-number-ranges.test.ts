// NHS numbers checked as the NHS issues them: modulus 11 and the issued ranges. A CHI or H&C number
// given as an NHS number is refused with its rule id (it would otherwise be sent with the NHS system).
import { describe, expect, it } from 'vitest';
import { nhsNumberRange, withCheckDigit } from '../../../src/records/identifiers.js';
import { checkRecord, type RecordCheckOptions } from '../../../src/records/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { errorCodeOf, expectNoEcho, issueAt, NOW, OPTS } from './helpers.js';

const check = (input: unknown, opts: RecordCheckOptions = OPTS) => checkRecord('referral', input, opts);
/** The first number from `nine` on (same first three digits) that has a check digit. */
const valid = (nine: string): string => {
  for (let v = Number(nine); ; v++) {
    const n = withCheckDigit(String(v).padStart(9, '0'));
    if (n) return n;
  }
};

describe('NHS number ranges', () => {
  it.each([
    [valid('400000004'), 'england-wales'],
    [valid('499999999'), 'england-wales'],
    [valid('600000001'), 'england-wales'],
    [valid('799999998'), 'england-wales'],
    [valid('999000000'), 'test'],
    [valid('943476591'), 'test'],
    ['9000000009', 'test'],
    ['3478526985', 'test'], // the BaRS examples' number
    [valid('140385123'), 'chi'],
    [valid('010100000'), 'chi'],
    [valid('311299000'), 'chi'],
    [valid('320000001'), 'hc'],
    [valid('399999999'), 'hc'],
    [valid('500000000'), 'unissued'],
    [valid('800000002'), 'unissued'],
    [valid('000000000'), 'unissued'],
    [valid('321385123'), 'hc'],
    [valid('313385123'), 'unissued'], // 31/33: no such month, and below the H&C range
  ])('%s is %s', (n, range) => {
    expect(nhsNumberRange(n)).toBe(range);
  });

  it.each([
    ['1403851239', 'NHS_NUMBER_IS_CHI'],
    [valid('320000001'), 'NHS_NUMBER_IS_HC'],
    [valid('500000000'), 'NHS_NUMBER_RANGE'],
  ])('refuses %s given as nhsNumber with %s, even when check digits only warn', (n, rule) => {
    const input = recordFixture('referral');
    input.person.nhsNumber = n;
    input.person.identifiers = [{ system: 'nhs-number', value: n }];
    for (const nhsNumberCheck of ['error', 'warn'] as const) {
      const { record, issues } = check(input, { now: NOW, nhsNumberCheck });
      expect(record).toBeUndefined();
      for (const path of ['person.nhsNumber', 'person.identifiers[0].value']) {
        const i = issueAt(issues, path);
        expect(i.severity).toBe('error');
        expect(errorCodeOf(i)).toBe(rule);
      }
      expectNoEcho(issues, n);
    }
  });

  it('accepts England/Wales numbers and, unless the site refuses them, test numbers', () => {
    const input = recordFixture('referral');
    delete input.person.identifiers;
    for (const n of [valid('400000004'), valid('799999998'), valid('999000000'), '9000000009']) {
      input.person.nhsNumber = n;
      expect(check(input).issues).toEqual([]);
    }
    input.person.nhsNumber = '9000000009';
    const { issues } = check(input, { ...OPTS, testNumbers: 'refuse' });
    expect(errorCodeOf(issueAt(issues, 'person.nhsNumber'))).toBe('NHS_NUMBER_TEST');
    input.person.nhsNumber = valid('400000004');
    expect(check(input, { ...OPTS, testNumbers: 'refuse' }).issues).toEqual([]);
  });

  it('refuses an H&C number outside 320–399 million', () => {
    const input = recordFixture('referral');
    input.person.identifiers = [{ system: 'hc-number', value: valid('400000004') }];
    expect(errorCodeOf(issueAt(check(input).issues, 'person.identifiers[0].value'))).toBe('HC_NUMBER_RANGE');
  });
});
