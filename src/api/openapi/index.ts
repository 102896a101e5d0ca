// The OpenAPI 3.1 description served at /api/openapi.json: the navigator API, the admin API, the
// FHIR endpoints, /health and /ready. The /fhir and /api/v1 paths come from the route tables their routers
// register (src/api/fhir/routes.ts, src/api/navigator/routes.ts); the admin and playground paths are
// written per area; the remaining operationIds, the licence and the record
// bodies (zod → JSON Schema) are added in ./conventions.ts; a test checks every route express registers is here.
import { admin } from './admin.js';
import { anyObject, fhirResource, type Json, json } from './common.js';
import { recordSchemas, recordSubmission, withOperationIds } from './conventions.js';
import { fhirPaths } from './fhir.js';
import { navigatorPaths } from './navigator.js';
import { playground } from './playground.js';

const clock = {
  type: 'object',
  properties: {
    dueAt: { type: 'string', format: 'date-time' },
    metAt: { type: ['string', 'null'], format: 'date-time' },
    status: { enum: ['running', 'overdue', 'met', 'met-late', 'stopped'] },
  },
};

export function openApiDocument(publicBaseUrl?: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'navbridge',
      version: '1',
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'FHIR R4 adapter for Mental Health Navigation services: the navigator API (/api/v1), the admin API (/admin) and the inbound FHIR API (/fhir).',
    },
    ...(publicBaseUrl
      ? { servers: [{ url: new URL('/', publicBaseUrl).toString().replace(/\/$/, '') }] }
      : {}),
    security: [],
    paths: withOperationIds({
      '/health': {
        get: {
          summary: 'Liveness: the process answers; no dependency is asked (open)',
          tags: ['ops'],
          security: [],
          responses: { '200': json(anyObject) },
        },
      },
      '/ready': {
        get: {
          summary:
            "Readiness: PostgreSQL, Redis, migrations applied and each partner's circuit; 503 when not ready (open)",
          tags: ['ops'],
          security: [],
          responses: { '200': json(anyObject, 'Ready'), '503': json(anyObject, 'Not ready') },
        },
      },
      '/api/openapi.json': {
        get: {
          summary: 'This document (open)',
          tags: ['ops'],
          security: [],
          responses: { '200': json(anyObject) },
        },
      },
      '/api/docs': {
        get: {
          summary: 'This document as a plain HTML page (open; no script, nothing fetched from elsewhere)',
          tags: ['ops'],
          security: [],
          responses: {
            '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
      ...navigatorPaths,
      ...admin,
      ...playground,
      ...fhirPaths,
    }),
    components: {
      securitySchemes: {
        partnerJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Partner JWT (RS256/ES256): iss = sub = client id, aud = the FHIR base URL, exp at most 5 minutes ahead, jti',
        },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'Navigator site API key (stored as its SHA-256 digest)',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'Admin credential' },
      },
      schemas: {
        OperationOutcome: fhirResource('OperationOutcome'),
        RecordSubmission: recordSubmission(),
        ...recordSchemas(),
        Clock: clock,
        ReferralSummary: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            site: { type: 'string' },
            status: { enum: ['new', 'open', 'closed'] },
            taskStatus: { type: 'string' },
            businessStatus: { type: 'string' },
            onHold: { type: 'boolean' },
            hasPlan: { type: 'boolean' },
            triage: anyObject,
            sourcePartnerId: { type: ['string', 'null'] },
            receivedAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            clocks: {
              type: 'object',
              properties: {
                mode: { enum: ['calendar', 'working-days'] },
                receivedAt: { type: 'string', format: 'date-time' },
                contact: { $ref: '#/components/schemas/Clock' },
                assessment: { $ref: '#/components/schemas/Clock' },
                nonEngagement: anyObject,
              },
            },
            flags: { type: 'array', items: { type: 'string' } },
          },
        },
        ReferralDetail: {
          allOf: [
            { $ref: '#/components/schemas/ReferralSummary' },
            {
              type: 'object',
              properties: {
                record: anyObject,
                linked: { type: 'array', items: anyObject },
                exchanges: { type: 'array', items: { $ref: '#/components/schemas/Exchange' } },
              },
            },
          ],
        },
        Exchange: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            direction: { enum: ['inbound', 'outbound'] },
            partnerId: { type: ['string', 'null'] },
            status: { type: 'string' },
            statusReason: { type: ['string', 'null'] },
            attemptCount: { type: 'integer' },
            attempts: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  attempt: { type: 'integer' },
                  requestId: { type: 'string', description: 'The X-Request-Id the attempt was sent with' },
                  outcome: { type: ['string', 'null'] },
                  httpStatus: { type: ['integer', 'null'], description: "The partner's HTTP status" },
                  errorClass: { type: ['string', 'null'] },
                  issues: {
                    type: 'array',
                    description: "The partner's OperationOutcome issue codes (never their text)",
                    items: {
                      type: 'object',
                      properties: {
                        severity: { type: 'string' },
                        code: { type: 'string' },
                        details: { type: 'array', items: { type: 'string' } },
                      },
                    },
                  },
                },
                additionalProperties: true,
              },
            },
          },
          additionalProperties: true,
        },
      },
    },
  };
}
