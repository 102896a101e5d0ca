// People for tests: NHS numbers that pass the modulus-11 check, a new one on every call.
import { withCheckDigit } from '../../src/records/identifiers.js';

let next = 100_000;

/** A fresh modulus-11-valid NHS number (943xxxxxx plus its check digit), unique within the test process. */
export function nhsNumber(): string {
  for (;;) {
    const n = withCheckDigit(`943${String(next++).padStart(6, '0')}`);
    if (n) return n;
  }
}
