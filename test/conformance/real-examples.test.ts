// Opt-in conformance: the real-world BaRS 1.4.0 and Gravity SDOH examples in the folder that
// NAVBRIDGE_EXAMPLES_DIR names (laid out like shared/fhir-examples) go through the very suites that run
// on navbridge's own fixtures (test/fixtures/fhir), so each real example gets exactly the answer its
// fixture counterpart gets: the envelope's refusals, the sandbox partner's $process-message, the
// inbound FHIR API and the authorisation matrix. Without the variable the suites are skipped, with one
// message saying how to run them; with it set to a folder that lacks an example, this file fails.
import { describe } from 'vitest';
import { authorisationMatrixSuite } from '../integration/auth/matrix.suite.js';
import { inboundFhirApiSuite } from '../integration/fhir-api/intake.suite.js';
import { processMessageSuite } from '../integration/sandbox/process-message.suite.js';
import { assertRealExamples, realExamples } from '../support/fhir-examples.js';
import { envelopeExamplesSuite } from '../unit/intake/envelope.suite.js';
import { barsSenderSuite } from './bars-sender.suite.js';

const dir = process.env.NAVBRIDGE_EXAMPLES_DIR;
const HOW =
  'set NAVBRIDGE_EXAMPLES_DIR to a folder of real-world FHIR examples laid out like shared/fhir-examples, ' +
  'e.g. NAVBRIDGE_EXAMPLES_DIR=$PWD/../shared/fhir-examples npx vitest run test/conformance';

if (dir) {
  assertRealExamples(dir);
} else {
  const rule = '='.repeat(100);
  console.warn(
    `\n${rule}\nSKIPPED: conformance against the real-world BaRS and Gravity SDOH examples.\nTo run it, ${HOW}\n${rule}\n`,
  );
}

describe.skipIf(!dir)(
  dir ? `real-world examples in ${dir}` : 'real-world examples (skipped: NAVBRIDGE_EXAMPLES_DIR is not set)',
  () => {
    const ex = realExamples(dir ?? '.');
    describe('envelope', () => envelopeExamplesSuite(ex));
    processMessageSuite(ex);
    inboundFhirApiSuite(ex);
    authorisationMatrixSuite(ex);
    barsSenderSuite(dir ?? '.');
  },
);
