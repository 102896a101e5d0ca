// OpenAPI paths of the navigator API (/api/v1).
import { anyObject, errors, idParam, type Json, json, query, SITE } from './common.js';

export const navigator: Json = {
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
            schema: { $ref: '#/components/schemas/RecordSubmission' },
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
  '/api/v1/reports/kpi': {
    get: {
      summary:
        'Commissioners’ KPI report of one site over a period (README “Reports”): JSON, FHIR MeasureReport or CSV',
      tags: ['navigator'],
      security: SITE,
      parameters: [
        query('site', { type: 'string' }, 'Admin: the site (required); a site sees only itself'),
        {
          ...query('from', { type: 'string', format: 'date' }, 'First London date of the period'),
          required: true,
        },
        {
          ...query(
            'to',
            { type: 'string', format: 'date' },
            'Last London date of the period (at most 731 days)',
          ),
          required: true,
        },
        query(
          '_format',
          { enum: ['json', 'fhir', 'csv'] },
          'Overrides Accept (application/json, application/fhir+json, text/csv)',
        ),
      ],
      responses: {
        '200': {
          description: 'The figures',
          content: {
            'application/json': { schema: anyObject },
            'application/fhir+json': { schema: anyObject },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        ...errors(400, 401, 403, 422),
      },
    },
  },
};

import { NAVIGATOR_ROUTES, openApiPaths } from '../navigator/routes.js';
export const navigatorPaths: Json = openApiPaths('/api/v1', NAVIGATOR_ROUTES);
