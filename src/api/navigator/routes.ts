// The navigator API (/api/v1, JSON) as one declarative table: each route's method, path, handler and
// OpenAPI operation together. The router registers exactly these (./router.ts) and the OpenAPI document
// describes exactly these (src/api/openapi/navigator.ts), so a route cannot be served without its
// description. Each handler parses its input with zod and calls one use case; the service decides what
// the caller may see (a site only its own; anything else is 404).
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { notFound } from '../../errors/index.js';
import { RECORD_TYPES } from '../../records/index.js';
import type { Navbridge } from '../../service/navbridge.js';
import { kpiCsv } from '../../service/report-formats.js';
import { callerOf } from '../auth.js';
import { anyObject, errors, idParam, type Json, json, query, SITE } from '../openapi/common.js';
import { openApiPaths, type TableRoute } from '../route-table.js';
import { parseOrThrow } from '../validate-input.js';

export type NavigatorHandler = (nb: Navbridge) => RequestHandler;

export interface NavigatorRoute extends TableRoute {
  /** Under /api/v1, in OpenAPI syntax (`/referrals/{id}`). */
  path: string;
  handler: NavigatorHandler;
  /** The OpenAPI operation, without `tags` and `security` (every route: a site or the admin). */
  doc: Json & { operationId: string; summary: string; responses: Json };
}

const siteId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
const listQuery = z
  .object({
    status: z.enum(['new', 'open', 'closed']).optional(),
    overdue: z.enum(['contact', 'assessment']).optional(),
    due: z.literal('non-engagement').optional(),
    site: siteId.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
const showQuery = z.object({ site: siteId.optional() }).strict();
/** The envelope; the service validates `record` against its type's zod schema (RECORD_SCHEMAS). */
const recordBody = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    record: z.record(z.string(), z.unknown()),
  })
  .strict();
const refId = z.string().min(1).max(64);
const kpiQuery = z
  .object({
    site: siteId.optional(),
    // Shape only here; the service checks calendar dates and the period (every problem at once).
    from: z.string().max(10),
    to: z.string().max(10),
    _format: z.enum(['json', 'fhir', 'csv']).optional(),
  })
  .strict();

/** ?_format wins; otherwise Accept (JSON unless the caller prefers FHIR JSON or CSV). */
function kpiFormat(req: Request, format: 'json' | 'fhir' | 'csv' | undefined): 'json' | 'fhir' | 'csv' {
  if (format) return format;
  const best = req.accepts(['application/json', 'application/fhir+json', 'text/csv']);
  return best === 'text/csv' ? 'csv' : best === 'application/fhir+json' ? 'fhir' : 'json';
}

const listReferrals: NavigatorHandler = (nb) => async (req, res) => {
  const q = parseOrThrow(listQuery, req.query, 'query');
  res.json(await nb.listReferrals(callerOf(res), q));
};

const showReferral: NavigatorHandler = (nb) => async (req, res) => {
  const id = parseOrThrow(refId, req.params.id, 'id');
  const q = parseOrThrow(showQuery, req.query, 'query');
  res.json(await nb.showReferral(callerOf(res), id, q.site));
};

const kpiReport: NavigatorHandler = (nb) => async (req, res) => {
  const { _format, ...q } = parseOrThrow(kpiQuery, req.query, 'query');
  const format = kpiFormat(req, _format);
  if (format === 'fhir') {
    res.type('application/fhir+json').send(JSON.stringify(await nb.kpiMeasureReport(callerOf(res), q)));
    return;
  }
  const report = await nb.kpiReport(callerOf(res), q);
  if (format === 'csv') {
    res
      .type('text/csv; charset=utf-8')
      .attachment(`kpi-${report.site}-${report.period.from}-${report.period.to}.csv`)
      .send(kpiCsv(report));
    return;
  }
  res.json(report);
};

const submitRecord: NavigatorHandler = (nb) => async (req, res) => {
  const body = parseOrThrow(recordBody, req.body ?? {}, 'body');
  res.status(202).json(await nb.submitRecord(callerOf(res), body.recordType, body.record));
};

const showExchange: NavigatorHandler = (nb) => async (req, res) => {
  const id = z.uuid().safeParse(req.params.id);
  if (!id.success) throw notFound('exchange');
  res.json(await nb.showExchangeState(callerOf(res), id.data));
};

const submitted = {
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
};

export const NAVIGATOR_ROUTES: readonly NavigatorRoute[] = [
  {
    method: 'get',
    path: '/referrals',
    handler: listReferrals,
    doc: {
      operationId: 'getApiV1Referrals',
      summary: 'List the caller’s referrals with triage outcome, state and service clocks',
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
  {
    method: 'get',
    path: '/referrals/{id}',
    handler: showReferral,
    doc: {
      operationId: 'getApiV1ReferralsId',
      summary: 'One referral: latest record, triage outcome, flags, linked referrals and every exchange',
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
  {
    method: 'get',
    path: '/reports/kpi',
    handler: kpiReport,
    doc: {
      operationId: 'getApiV1ReportsKpi',
      summary:
        'Commissioners’ KPI report of one site over a period (README “Reports”): JSON, FHIR MeasureReport or CSV',
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
  {
    method: 'post',
    path: '/records',
    handler: submitRecord,
    doc: {
      operationId: 'postApiV1Records',
      summary:
        'Submit a navbridge record (referral, assessment, support-plan, event): validated, mapped, routed and queued',
      // components.schemas.RecordSubmission: one branch per record type, each record's JSON Schema
      // generated from its zod schema (src/api/openapi/conventions.ts), which the service validates with.
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/RecordSubmission' } } },
      },
      responses: {
        '202': json(submitted, 'Accepted: the exchange ids queued (or withheld / unrouted)'),
        ...errors(400, 401, 403, 409, 413, 415, 422),
      },
    },
  },
  {
    method: 'get',
    path: '/exchanges/{id}',
    handler: showExchange,
    doc: {
      operationId: 'getApiV1ExchangesId',
      summary: 'Delivery state and attempts of one exchange (no payload)',
      parameters: [idParam('Exchange id (uuid)')],
      responses: { '200': json({ $ref: '#/components/schemas/Exchange' }), ...errors(401, 403, 404) },
    },
  },
];

/** The table as OpenAPI paths under `prefix` (tagged navigator; a site or the admin). */
export const navigatorOpenApiPaths = (prefix: string, routes: readonly NavigatorRoute[]): Json =>
  openApiPaths(prefix, routes, () => ({ tags: ['navigator'], security: SITE }));
