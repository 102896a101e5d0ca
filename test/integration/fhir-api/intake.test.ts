// The inbound FHIR API against real PostgreSQL with navbridge's own BaRS and Gravity SDOH fixtures
// (test/fixtures/fhir); the same suite runs on the real examples in test/conformance.
import { navbridgeExamples } from '../../support/fhir-examples.js';
import { inboundFhirApiSuite } from './intake.suite.js';

inboundFhirApiSuite(navbridgeExamples());
