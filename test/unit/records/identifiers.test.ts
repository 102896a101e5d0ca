import { describe, expect, it } from 'vitest';
import {
  hasValidChiDate,
  isValidChiNumber,
  isValidHcNumber,
  isValidNhsNumber,
  modulus11CheckDigit,
  withCheckDigit,
} from '../../../src/records/identifiers.js';

describe('modulus-11 check digits', () => {
  it.each(['9434765919', '4857773457', '9990000018'])('accepts the valid NHS number %s', (n) => {
    expect(isValidNhsNumber(n)).toBe(true);
  });

  it.each([
    ['3478526985', 'wrong check digit'],
    ['9434765918', 'last digit changed'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['943476591X', 'not digits'],
  ])('rejects %s (%s)', (n) => {
    expect(isValidNhsNumber(n)).toBe(false);
  });

  it('maps a check of 11 to 0 and treats 10 as having no valid number', () => {
    // 000000000: sum 0 → 11 - 0 = 11 → check digit 0
    expect(modulus11CheckDigit('000000000')).toBe(0);
    expect(isValidNhsNumber('0000000000')).toBe(true);
    // 123456789: sum = 10+18+24+28+30+30+28+24+18 = 210, 210 mod 11 = 1 → 10: no valid check digit
    expect(modulus11CheckDigit('123456789')).toBeUndefined();
    for (let d = 0; d <= 9; d++) expect(isValidNhsNumber(`123456789${d}`)).toBe(false);
    expect(withCheckDigit('123456789')).toBeUndefined();
  });

  it('completes nine digits with their check digit', () => {
    expect(withCheckDigit('943476591')).toBe('9434765919');
    expect(withCheckDigit('12345')).toBeUndefined();
  });

  it('uses the same scheme for H&C numbers', () => {
    expect(isValidHcNumber('3200000015')).toBe(true);
    expect(isValidHcNumber('3200000016')).toBe(false);
  });

  it('requires a CHI number to start with a DDMMYY date and pass the check digit', () => {
    expect(isValidChiNumber('1403851239')).toBe(true);
    expect(isValidChiNumber('1403851238')).toBe(false);
    expect(hasValidChiDate('3201851234')).toBe(false); // 32 January
    expect(hasValidChiDate('3004851234')).toBe(true);
    expect(hasValidChiDate('3104851234')).toBe(false); // 31 April
    expect(hasValidChiDate('2902841234')).toBe(true); // 1984 or 2084: leap
    expect(hasValidChiDate('2902851234')).toBe(false);
    expect(hasValidChiDate('0113851234')).toBe(false); // month 13
    expect(isValidChiNumber(withCheckDigit('320185123') ?? '')).toBe(false);
  });
});
