// The OpenAPI 3.1 description served at /api/openapi.json: the navigator API, the admin API, the
// FHIR endpoints and /health. Hand-written; a test checks that every route express registers is here.

type Json = Record<string, unknown>;

const OO = { $ref: '#/components/schemas/OperationOutcome' };
const errors = (...codes: number[]): Json =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: ERROR_TEXT[c] ?? 'error',
        content: { 'application/fhir+json': { schema: OO } },
      },
    ]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'Bad request (every problem, with its path)',
  401: 'Credentials missing or invalid (REC_UNAUTHORIZED)',
  403: 'The caller may not do this (REC_FORBIDDEN)',
  404: 'Not found, or not this caller’s (REC_NOT_FOUND)',
  409: 'Conflict (REC_CONFLICT)',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Unprocessable (REC_UNPROCESSABLE_ENTITY)',
};
const json = (schema: Json, description = 'OK'): Json => ({
  description,
  content: { 'application/json': { schema } },
});
const fhir = (schema: Json, description = 'OK'): Json => ({
  description,
  content: { 'application/fhir+json': { schema } },
});
const idParam = (description: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, schema: Json, description: string): Json => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const SITE = [{ apiKey: [] }, { adminToken: [] }];
const ADMIN = [{ adminToken: [] }];
const PARTNER = [{ partnerJwt: [] }, { adminToken: [] }];
const anyObject = { type: 'object', additionalProperties: true };
const fhirResource = (type: string) => ({
  type: 'object',
  required: ['resourceType'],
  properties: { resourceType: { const: type } },
  additionalProperties: true,
});

const navigator: Json = {
  '/api/v1/referrals': {
    get: {
      summary: 'List the caller’s referrals with triage outcome, state and service clocks',
      tags: ['navigator'],
      security: SITE,
      parameters: [
        query(
          'status',
          { enum: ['new', 'open', 'closed'] },
          'new: not yet accepted or rejected; open: accepted or on hold; closed: discharged, rejected or withdrawn',
        ),
        query(
          'overdue',
          { enum: ['contact', 'assessment'] },
          'Only referrals whose first-contact (72 h / 3 working days) or assessment (14 days / 10 working days) clock is breached now',
        ),
        query(
          'due',
          { enum: ['non-engagement'] },
          'Only referrals with at least 3 contact attempts and no contact 28 days after the first (for the navigator to decide)',
        ),
        query('site', { type: 'string' }, 'Admin: one site only (a site sees only its own)'),
        query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'At most this many'),
      ],
      responses: {
        '200': json({
          type: 'object',
          properties: {
            now: { type: 'string', format: 'date-time' },
            referrals: { type: 'array', items: { $ref: '#/components/schemas/ReferralSummary' } },
          },
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/v1/referrals/{id}': {
    get: {
      summary: 'One referral: latest record, triage outcome, flags, linked referrals and every exchange',
      tags: ['navigator'],
      security: SITE,
      parameters: [
        idParam('The referral’s source id'),
        query('site', { type: 'string' }, 'Admin: the site, when the id exists at several'),
      ],
      responses: {
        '200': json({ $ref: '#/components/schemas/ReferralDetail' }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/v1/records': {
    post: {
      summary:
        'Submit a navbridge record (referral, assessment, support-plan, event): validated, mapped, routed and queued',
      tags: ['navigator'],
      security: SITE,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['recordType', 'record'],
              properties: {
                recordType: { enum: ['referral', 'assessment', 'support-plan', 'event'] },
                record: anyObject,
              },
              additionalProperties: false,
            },
          },
        },
      },
      responses: {
        '202': json(
          {
            type: 'object',
            properties: {
              outcome: { enum: ['accepted', 'duplicate', 'stale'] },
              recordType: { type: 'string' },
              site: { type: 'string' },
              id: { type: 'string' },
              version: { type: 'integer' },
              triage: anyObject,
              exchanges: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string', format: 'uuid' },
                    partnerId: { type: ['string', 'null'] },
                    status: { type: 'string' },
                    reason: { type: ['string', 'null'] },
                  },
                },
              },
              warnings: { type: 'array', items: anyObject },
            },
          },
          'Accepted: the exchange ids queued (or withheld / unrouted)',
        ),
        ...errors(400, 401, 403, 409, 413, 415, 422),
      },
    },
  },
  '/api/v1/exchanges/{id}': {
    get: {
      summary: 'Delivery state and attempts of one exchange (no payload)',
      tags: ['navigator'],
      security: SITE,
      parameters: [idParam('Exchange id (uuid)')],
      responses: { '200': json({ $ref: '#/components/schemas/Exchange' }), ...errors(401, 403, 404) },
    },
  },
};

const deadLetterFilter = ['partner', 'site', 'reason', 'from', 'to', 'limit'].map((n) =>
  query(n, n === 'limit' ? { type: 'integer' } : { type: 'string' }, `Filter: ${n}`),
);
const admin: Json = {
  '/admin/dead-letters': {
    get: {
      summary: 'List dead letters (no payloads)',
      tags: ['admin'],
      security: ADMIN,
      parameters: deadLetterFilter,
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/exchanges/{id}': {
    get: {
      summary: 'One exchange with its payload (audited)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [idParam('Exchange id')],
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 404) },
    },
  },
  '/admin/dead-letters/{id}/replay': {
    post: {
      summary: 'Replay one dead letter (optionally re-mapped; audited)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [idParam('Exchange id')],
      requestBody: {
        content: {
          'application/json': { schema: { type: 'object', properties: { remap: { type: 'boolean' } } } },
        },
      },
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 422) },
    },
  },
  '/admin/dead-letters/replay': {
    post: {
      summary: 'Replay every dead letter matching a filter, oldest first',
      tags: ['admin'],
      security: ADMIN,
      requestBody: {
        content: {
          'application/json': {
            schema: { type: 'object', properties: { filter: anyObject, remap: { type: 'boolean' } } },
          },
        },
      },
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/dead-letters/{id}/discard': {
    post: {
      summary: 'Discard a dead letter with a reason (audited)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [idParam('Exchange id')],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } },
          },
        },
      },
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
};

const fhirBody = (type: string) => ({
  required: true,
  content: { 'application/fhir+json': { schema: fhirResource(type) } },
});
const fhirPaths: Json = {
  '/fhir/metadata': {
    get: {
      summary: 'CapabilityStatement (open)',
      tags: ['fhir'],
      security: [],
      responses: { '200': fhir(fhirResource('CapabilityStatement')) },
    },
  },
  '/fhir/ServiceRequest': {
    post: {
      summary: 'A referral: ServiceRequest with its Patient contained or referenced',
      tags: ['fhir'],
      security: PARTNER,
      requestBody: fhirBody('ServiceRequest'),
      responses: {
        '201': fhir(fhirResource('ServiceRequest'), 'Created (Location header)'),
        ...errors(400, 401, 403, 409, 413, 415, 422),
      },
    },
  },
  '/fhir': {
    post: {
      summary: 'Transaction Bundle holding a referral',
      tags: ['fhir'],
      security: PARTNER,
      requestBody: fhirBody('Bundle'),
      responses: {
        '201': fhir(fhirResource('Bundle'), 'Created (Location header)'),
        ...errors(400, 401, 403, 409, 413, 415, 422),
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
        ...errors(400, 401, 403, 409, 413, 415, 422),
      },
    },
  },
  '/fhir/Task': {
    get: {
      summary: 'Search the caller’s referral Tasks',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [query('focus', { type: 'string' }, 'The referral ServiceRequest')],
      responses: { '200': fhir(fhirResource('Bundle'), 'searchset Bundle'), ...errors(400, 401, 403) },
    },
  },
  '/fhir/Task/{id}': {
    get: {
      summary: 'One of the caller’s referral Tasks',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [idParam('Task id')],
      responses: { '200': fhir(fhirResource('Task')), ...errors(401, 403, 404) },
    },
  },
  '/fhir/ServiceRequest/{id}': {
    get: {
      summary: 'One of the caller’s referrals',
      tags: ['fhir'],
      security: PARTNER,
      parameters: [idParam('ServiceRequest id')],
      responses: { '200': fhir(fhirResource('ServiceRequest')), ...errors(401, 403, 404) },
    },
  },
};

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
      description:
        'FHIR R4 adapter for Mental Health Navigation services: the navigator API (/api/v1), the admin API (/admin) and the inbound FHIR API (/fhir).',
    },
    ...(publicBaseUrl
      ? { servers: [{ url: new URL('/', publicBaseUrl).toString().replace(/\/$/, '') }] }
      : {}),
    security: [],
    paths: {
      '/health': {
        get: {
          summary: 'PostgreSQL and Redis reachability (open)',
          tags: ['ops'],
          security: [],
          responses: { '200': json(anyObject), '503': json(anyObject, 'Degraded') },
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
      ...navigator,
      ...admin,
      ...fhirPaths,
    },
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
            attempts: { type: 'array', items: anyObject },
          },
          additionalProperties: true,
        },
      },
    },
  };
}
