// Check digits of UK health identifiers. NHS (England, Wales), CHI (Scotland) and H&C (Northern
// Ireland) numbers are all 10 digits whose last digit is a modulus-11 check over the first nine.

/** The modulus-11 check digit for nine digits (weights 10..2), or undefined when it would be 10. */
export function modulus11CheckDigit(nineDigits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  // A remainder giving 10 has no valid check digit: no number is issued with these nine digits.
  return check === 10 ? undefined : check;
}

/** Ten digits whose last digit is the modulus-11 check of the first nine. */
export function isValidModulus11(value: string): boolean {
  if (!/^[0-9]{10}$/.test(value)) return false;
  return modulus11CheckDigit(value.slice(0, 9)) === Number(value[9]);
}

export const isValidNhsNumber = isValidModulus11;
export const isValidHcNumber = isValidModulus11;

/** A CHI number's first six digits are the date of birth DDMMYY. */
export function hasValidChiDate(value: string): boolean {
  const m = /^([0-9]{2})([0-9]{2})([0-9]{2})/.exec(value);
  if (!m) return false;
  const [day, month, yy] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  // The century is unknown: allow 29 February whenever either century makes it a leap year.
  const leap = yy % 4 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

export function isValidChiNumber(value: string): boolean {
  return isValidModulus11(value) && hasValidChiDate(value);
}

/** Completes nine digits with their check digit; undefined when the nine digits have none. */
export function withCheckDigit(nineDigits: string): string | undefined {
  if (!/^[0-9]{9}$/.test(nineDigits)) return undefined;
  const check = modulus11CheckDigit(nineDigits);
  return check === undefined ? undefined : `${nineDigits}${check}`;
}

/**
 * What ten digits given as an NHS number are, by the ranges the NHS issues from (NHS Digital, "NHS
 * number" in the Data Dictionary): England and Wales issue 400 000 000–499 999 999 and
 * 600 000 000–799 999 999; Scotland's CHI numbers start with a date of birth (010100–311299); Northern
 * Ireland's H&C numbers are 320 000 000–399 999 999. 999 is the reserved test range, and every test
 * number NHS England publishes (the sandbox's 9000000009, the integration environment's 943…, 944…,
 * 969…, 973…) starts with 9: no live number does.
 */
export type NhsNumberRange = 'england-wales' | 'test' | 'chi' | 'hc' | 'unissued';

/**
 * Published test numbers outside the 9… range: the BaRS specification's own examples carry 3478526985
 * (which also fails its check digit), so every partner testing against them sends it.
 */
export const PUBLISHED_TEST_NUMBERS: ReadonlySet<string> = new Set(['3478526985']);

export function nhsNumberRange(value: string): NhsNumberRange {
  if (PUBLISHED_TEST_NUMBERS.has(value)) return 'test';
  const head = Number(value.slice(0, 3));
  if ((head >= 400 && head <= 499) || (head >= 600 && head <= 799)) return 'england-wales';
  if (head >= 900) return 'test';
  if (head >= 320 && head <= 399) return 'hc';
  if (hasValidChiDate(value)) return 'chi';
  return 'unissued';
}

/** H&C numbers are issued from 320 000 000–399 999 999. */
export const isInHcRange = (value: string): boolean => nhsNumberRange(value) === 'hc';
