// OpenAPI paths of the inbound FHIR API (/fhir): generated from the route table the router registers
// (src/api/fhir/routes.ts), so no route is served without its description.
import { FHIR_ROUTES, fhirOpenApiPaths } from '../fhir/routes.js';
import type { Json } from './common.js';

export const fhirPaths: Json = fhirOpenApiPaths('/fhir', FHIR_ROUTES);
