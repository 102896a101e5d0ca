// OpenAPI paths of the inbound FHIR API (/fhir).
import { errors, fhir, fhirResource, idParam, type Json, PARTNER, query } from './common.js';

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
const versions = (type: string): Json => ({
  [`/fhir/${type}/{id}/_history`]: {
    get: {
      summary: `Every version of one of the caller’s ${type}s, newest first`,
      tags: ['fhir'],
      security: PARTNER,
      parameters: [idParam(`${type} id`)],
      responses: { '200': fhir(fhirResource('Bundle'), 'history Bundle'), ...errors(401, 403, 404, 406) },
    },
  },
  [`/fhir/${type}/{id}/_history/{vid}`]: {
    get: {
      summary: `One version of one of the caller’s ${type}s (vread)`,
      tags: ['fhir'],
      security: PARTNER,
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
});
const validate = (summary: string, type?: string): Json => ({
  post: {
    summary,
    tags: ['fhir'],
    security: PARTNER,
    ...(type
      ? { parameters: [{ name: 'type', in: 'path', required: true, schema: { type: 'string' } }] }
      : {}),
    requestBody: {
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
    },
    responses: {
      '200': fhir(fhirResource('OperationOutcome'), 'The verdict: every issue with its FHIRPath'),
      ...errors(400, 401, 403, 406, 413, 415),
    },
  },
});

export const fhirPaths: Json = {
  '/fhir/$validate': validate(
    "Validate a resource (or Parameters: resource, profile) against navbridge's profiles",
  ),
  '/fhir/{type}/$validate': validate(
    "Validate a resource of {type} against navbridge's profiles (?profile=name)",
    'type',
  ),
  '/fhir/metadata': {
    get: {
      summary: 'CapabilityStatement (open)',
      tags: ['fhir'],
      security: [],
      responses: { '200': fhir(fhirResource('CapabilityStatement')) },
    },
  },
  '/fhir/MessageDefinition': {
    get: {
      summary: 'The BaRS MessageDefinitions navbridge receives against (open)',
      tags: ['fhir'],
      security: [],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(406) },
    },
  },
  '/fhir/MessageDefinition/{id}': {
    get: {
      summary: 'One BaRS MessageDefinition (open)',
      tags: ['fhir'],
      security: [],
      parameters: [idParam('MessageDefinition id')],
      responses: { '200': fhir(fhirResource('MessageDefinition')), ...errors(404, 406) },
    },
  },
  '/fhir/ServiceRequest': {
    get: {
      summary: 'The caller’s referrals for a patient (patient:identifier=<system>|<value>)',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [
        query('patient:identifier', { type: 'string' }, 'e.g. https://fhir.nhs.uk/Id/nhs-number|<number>'),
      ],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(400, 401, 403) },
    },
    post: {
      summary: 'A referral: ServiceRequest with its Patient contained or referenced',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [PREFER],
      requestBody: fhirBody('ServiceRequest'),
      responses: {
        '201': fhir(
          { oneOf: [fhirResource('ServiceRequest'), fhirResource('OperationOutcome')] },
          'Created (Location: …/ServiceRequest/{id}/_history/{vid})',
        ),
        ...errors(400, 401, 403, 406, 409, 413, 415, 422),
      },
    },
  },
  '/fhir': {
    post: {
      summary: 'Transaction Bundle holding a referral',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [PREFER],
      requestBody: fhirBody('Bundle'),
      responses: {
        '201': fhir(fhirResource('Bundle'), 'Created (Location header)'),
        ...errors(400, 401, 403, 406, 409, 413, 415, 422),
      },
    },
  },
  '/fhir/$process-message': {
    post: {
      summary: 'BaRS message Bundle (servicerequest-request: new, update, delete)',
      tags: ['fhir'],
      security: PARTNER,
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
  '/fhir/Task': {
    get: {
      summary: 'Search the caller’s referral Tasks',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [query('focus', { type: 'string' }, 'The referral ServiceRequest')],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(400, 401, 403, 406) },
    },
  },
  '/fhir/Task/{id}': {
    get: {
      summary: 'One of the caller’s referral Tasks',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [idParam('Task id')],
      responses: { '200': fhir(fhirResource('Task')), ...errors(401, 403, 404, 406) },
    },
  },
  '/fhir/ServiceRequest/{id}': {
    get: {
      summary: 'One of the caller’s referrals',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [idParam('ServiceRequest id')],
      responses: { '200': fhir(fhirResource('ServiceRequest')), ...errors(401, 403, 404, 406) },
    },
  },
  ...versions('ServiceRequest'),
  ...versions('Task'),
};
