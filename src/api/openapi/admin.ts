// OpenAPI paths of the admin API (/admin).
import { ADMIN, anyObject, errors, idParam, type Json, json, query } from './common.js';

const FILTERS = ['partner', 'site', 'reason', 'from', 'to', 'correlationId', 'referralId', 'limit'];
const deadLetterFilter = FILTERS.map((n) =>
  query(n, n === 'limit' ? { type: 'integer' } : { type: 'string' }, `Filter: ${n}`),
);
const auditFilter = ['actor', 'action', 'resource', 'outcome', 'from', 'to', 'after', 'limit'].map((n) =>
  query(n, n === 'limit' || n === 'after' ? { type: 'integer' } : { type: 'string' }, `Filter: ${n}`),
);
export const admin: Json = {
  '/admin/audit': {
    get: {
      summary: 'Query the audit trail (filters, paging by `after`; audited)',
      tags: ['admin'],
      security: ADMIN,
      parameters: auditFilter,
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/audit/AuditEvent': {
    get: {
      summary: 'The audit trail as a Bundle of FHIR AuditEvent resources (next page in Bundle.link)',
      tags: ['admin'],
      security: ADMIN,
      parameters: auditFilter,
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/audit/verify': {
    get: {
      summary: 'Verify the audit hash chain: 200 unbroken, 409 naming the first broken row',
      tags: ['admin'],
      security: ADMIN,
      responses: { '200': json(anyObject), '409': json(anyObject), ...errors(401, 403) },
    },
  },
  '/admin/dead-letters': {
    get: {
      summary: 'List dead letters (no payloads)',
      tags: ['admin'],
      security: ADMIN,
      parameters: deadLetterFilter,
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/dead-letters/search': {
    post: {
      summary: 'Search dead letters, also by NHS number (blind index; never in a query string)',
      tags: ['admin'],
      security: ADMIN,
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                ...Object.fromEntries(
                  FILTERS.map((n) => [n, n === 'limit' ? { type: 'integer' } : { type: 'string' }]),
                ),
                nhsNumber: { type: 'string', pattern: '^\\d{10}$' },
              },
            },
          },
        },
      },
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 422) },
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
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 404, 409, 422) },
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
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/admin/records': {
    get: {
      summary: 'List records and inbound requests kept because their mapping failed (no inputs)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [
        query('state', { enum: ['mapping-failed', 'remapped'] }, 'Filter: state'),
        query('site', { type: 'string' }, 'Filter: site'),
        query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'At most this many'),
      ],
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/records/{id}/remap': {
    post: {
      summary: 'Re-run a kept failure with the current mappings (resolved when it now succeeds)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [idParam('Failed record id (uuid)')],
      responses: { '200': json(anyObject), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/admin/records/remap': {
    post: {
      summary: 'Re-run every kept failure (of one site, when given), oldest first',
      tags: ['admin'],
      security: ADMIN,
      requestBody: {
        content: {
          'application/json': {
            schema: { type: 'object', properties: { site: { type: 'string' }, limit: { type: 'integer' } } },
          },
        },
      },
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
  '/admin/alerts': {
    get: {
      summary: 'The watchdog’s alerts (open by default; ids, instants and thresholds only)',
      tags: ['admin'],
      security: ADMIN,
      parameters: [
        query('state', { enum: ['open', 'all'] }, 'open (default) or all, cleared included'),
        query('kind', { type: 'string' }, 'Filter: alert kind'),
        query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'At most this many'),
      ],
      responses: { '200': json(anyObject), ...errors(400, 401, 403) },
    },
  },
};
