// The FHIR validator for navbridge's own profiles (profiles/), built once per test process: loading
// the conformance resources is the slow part, and validation does not change the validator.
import { fileURLToPath } from 'node:url';
import { loadProfiles } from '../../src/config/startup.js';
import type { Validator } from '../../src/fhir/validate.js';

const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));

export function profileValidator(): Validator {
  return loadProfiles(PROFILES_DIR).validator;
}
