// The FHIR validator for navbridge's own profiles (profiles/), built once per test process: loading
// the conformance resources is the slow part, and validation does not change the validator.
import { fileURLToPath } from 'node:url';
import { loadConformance } from '../../src/config/profiles.js';
import { createValidator, type Validator } from '../../src/fhir/validate.js';

const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));
let validator: Validator | undefined;

export function profileValidator(): Validator {
  validator ??= createValidator(loadConformance(PROFILES_DIR));
  return validator;
}
