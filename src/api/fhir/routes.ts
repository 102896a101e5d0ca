// The FHIR API as one declarative table: each route's method, path, handler and OpenAPI description
// together. The router registers exactly these (./router.ts) and the OpenAPI document describes exactly
// these (src/api/openapi/fhir.ts), so a route cannot be served without its description. Order matters
// (express matches in order): open routes first, then the authenticated ones.
import { errors, fhir, fhirResource, idParam, type Json, PARTNER, query } from '../openapi/common.js';
import { openApiPaths, type TableRoute } from '../route-table.js';
import {
  type FhirHandler,
  history,
  intake,
  messageDefinition,
  messageDefinitions,
  metadata,
  read,
  searchServiceRequests,
  searchTasks,
  validate,
  validateType,
  vread,
} from './handlers.js';

export interface FhirRoute extends TableRoute {
  /** Under /fhir, in OpenAPI syntax (`/Task/{id}`); `/` is the base itself. */
  path: string;
  /** Served before authentication (no patient data). */
  open?: boolean;
  /** Takes a FHIR JSON body (the body parser with the configured limits runs first). */
  body?: boolean;
  handler: FhirHandler;
  /** The OpenAPI operation, without `tags` and `security` (added from `open`). */
  doc: Json;
}

const fhirBody = (type: string) => ({
  required: true,
  content: { 'application/fhir+json': { schema: fhirResource(type) } },
});
const PREFER = {
  name: 'Prefer',
  in: 'header',
  required: false,
  schema: { type: 'string', enum: ['return=minimal', 'return=representation', 'return=OperationOutcome'] },
  description:
    'minimal: no body (a transaction: entries with response only); representation: the ServiceRequest with id and meta; OperationOutcome: the outcome (default; a transaction: its warnings)',
};
const anyResource = {
  required: true,
  content: {
    'application/fhir+json': {
      schema: {
        type: 'object',
        required: ['resourceType'],
        properties: { resourceType: { type: 'string' } },
        additionalProperties: true,
      },
    },
  },
};
const verdict = {
  '200': fhir(fhirResource('OperationOutcome'), 'The verdict: every issue with its FHIRPath'),
  ...errors(400, 401, 403, 406, 413, 415),
};
const created = (response: Json) => ({
  '201': response,
  ...errors(400, 401, 403, 406, 409, 413, 415, 422),
});

const versioned = (type: 'ServiceRequest' | 'Task'): FhirRoute[] => [
  {
    method: 'get',
    path: `/${type}/{id}`,
    handler: read(type),
    doc: {
      summary: type === 'Task' ? 'One of the caller’s referral Tasks' : 'One of the caller’s referrals',
      parameters: [idParam(`${type} id`)],
      responses: { '200': fhir(fhirResource(type)), ...errors(401, 403, 404, 406) },
    },
  },
  {
    method: 'get',
    path: `/${type}/{id}/_history`,
    handler: history(type),
    doc: {
      summary: `Every version of one of the caller’s ${type}s, newest first`,
      parameters: [idParam(`${type} id`)],
      responses: { '200': fhir(fhirResource('Bundle'), 'history Bundle'), ...errors(401, 403, 404, 406) },
    },
  },
  {
    method: 'get',
    path: `/${type}/{id}/_history/{vid}`,
    handler: vread(type),
    doc: {
      summary: `One version of one of the caller’s ${type}s (vread)`,
      parameters: [
        idParam(`${type} id`),
        {
          name: 'vid',
          in: 'path',
          required: true,
          schema: { type: 'string' },
          description: 'meta.versionId',
        },
      ],
      responses: { '200': fhir(fhirResource(type)), ...errors(401, 403, 404, 406) },
    },
  },
];

export const FHIR_ROUTES: readonly FhirRoute[] = [
  {
    method: 'get',
    path: '/metadata',
    open: true,
    handler: metadata,
    doc: {
      summary: 'CapabilityStatement (open)',
      responses: { '200': fhir(fhirResource('CapabilityStatement')) },
    },
  },
  // BaRS content negotiation: open like /metadata (what a sender must send, no patient data).
  {
    method: 'get',
    path: '/MessageDefinition',
    open: true,
    handler: messageDefinitions,
    doc: {
      summary: 'The BaRS MessageDefinitions navbridge receives against (open)',
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(406) },
    },
  },
  {
    method: 'get',
    path: '/MessageDefinition/{id}',
    open: true,
    handler: messageDefinition,
    doc: {
      summary: 'One BaRS MessageDefinition (open)',
      parameters: [idParam('MessageDefinition id')],
      responses: { '200': fhir(fhirResource('MessageDefinition')), ...errors(404, 406) },
    },
  },
  {
    method: 'post',
    path: '/ServiceRequest',
    body: true,
    handler: intake('service-request'),
    doc: {
      summary: 'A referral: ServiceRequest with its Patient contained or referenced',
      parameters: [PREFER],
      requestBody: fhirBody('ServiceRequest'),
      responses: created(
        fhir(
          { oneOf: [fhirResource('ServiceRequest'), fhirResource('OperationOutcome')] },
          'Created (Location: …/ServiceRequest/{id}/_history/{vid})',
        ),
      ),
    },
  },
  {
    method: 'post',
    path: '/',
    body: true,
    handler: intake('transaction'),
    doc: {
      summary: 'Transaction Bundle holding a referral',
      parameters: [PREFER],
      requestBody: fhirBody('Bundle'),
      responses: created(fhir(fhirResource('Bundle'), 'Created (Location header)')),
    },
  },
  {
    method: 'post',
    path: '/$process-message',
    body: true,
    handler: intake('message'),
    doc: {
      summary: 'BaRS message Bundle (servicerequest-request: new, update, delete)',
      parameters: [
        { name: 'X-Request-Id', in: 'header', required: false, schema: { type: 'string' } },
        { name: 'X-Correlation-Id', in: 'header', required: false, schema: { type: 'string' } },
      ],
      requestBody: fhirBody('Bundle'),
      responses: {
        '200': fhir(fhirResource('Bundle'), 'BaRS response message'),
        ...errors(400, 401, 403, 406, 409, 413, 415, 422, 425),
      },
    },
  },
  {
    method: 'get',
    path: '/ServiceRequest',
    handler: searchServiceRequests,
    doc: {
      summary: 'The caller’s referrals for a patient (patient:identifier=<system>|<value>)',
      parameters: [
        query('patient:identifier', { type: 'string' }, 'e.g. https://fhir.nhs.uk/Id/nhs-number|<number>'),
      ],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(400, 401, 403) },
    },
  },
  {
    method: 'post',
    path: '/$validate',
    body: true,
    handler: validate,
    doc: {
      summary: "Validate a resource (or Parameters: resource, profile) against navbridge's profiles",
      requestBody: anyResource,
      responses: verdict,
    },
  },
  {
    method: 'post',
    path: '/{type}/$validate',
    body: true,
    handler: validateType,
    doc: {
      summary: "Validate a resource of {type} against navbridge's profiles (?profile=name)",
      parameters: [{ name: 'type', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: anyResource,
      responses: verdict,
    },
  },
  ...versioned('ServiceRequest'),
  ...versioned('Task'),
  {
    method: 'get',
    path: '/Task',
    handler: searchTasks,
    doc: {
      summary: 'Search the caller’s referral Tasks',
      parameters: [query('focus', { type: 'string' }, 'The referral ServiceRequest')],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(400, 401, 403, 406) },
    },
  },
];

/** The table as OpenAPI paths under `prefix` (tagged fhir; the open routes without security). */
export const fhirOpenApiPaths = (prefix: string, routes: readonly FhirRoute[]): Json =>
  openApiPaths(prefix, routes, (r) => ({ tags: ['fhir'], security: r.open ? [] : PARTNER }));
