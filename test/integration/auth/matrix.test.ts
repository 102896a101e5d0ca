// The authorisation matrix with navbridge's own Gravity SDOH and BaRS fixtures (test/fixtures/fhir);
// the same suite runs on the real examples in test/conformance.
import { navbridgeExamples } from '../../support/fhir-examples.js';
import { authorisationMatrixSuite } from './matrix.suite.js';

authorisationMatrixSuite(navbridgeExamples());
