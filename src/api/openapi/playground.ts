// OpenAPI paths of the mapping playground (/admin/playground; 404 unless enabled). Request bodies are
// generated from the zod schemas the routes validate with.
import { z } from 'zod';
import { goldenSchema, inboundSchema, runSchema } from '../playground.js';
import { ADMIN, anyObject, errors, idParam, type Json, json, query } from './common.js';

const body = (schema: z.ZodType): Json => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } },
});
const page = (summary: string, type: string): Json => ({
  get: {
    summary,
    tags: ['playground'],
    security: ADMIN,
    responses: { '200': { description: 'OK', content: { [type]: {} } }, ...errors(401, 403, 404) },
  },
});
const op = (method: 'get' | 'post', summary: string, extra: Json, codes: number[], ok = '200'): Json => ({
  [method]: {
    summary,
    tags: ['playground'],
    security: ADMIN,
    ...extra,
    responses: { [ok]: json(anyObject), ...errors(...codes) },
  },
});

export const playground: Json = {
  '/admin/playground': page('The playground page (HTML; HTTP Basic with the admin token)', 'text/html'),
  '/admin/playground/playground.js': page('The page’s script', 'text/javascript'),
  '/admin/playground/playground.css': page('The page’s styles', 'text/css'),
  '/admin/playground/api/catalog': op(
    'get',
    'Sites, record types, inbound mappings, partners and golden examples of the mappings folder',
    {},
    [401, 403, 404],
  ),
  '/admin/playground/api/run': op(
    'post',
    'Map a pasted record (JSON or CSV): FHIR, placed issues, triage, routes, payloads, golden diff',
    { requestBody: body(runSchema) },
    [400, 401, 403, 404, 413, 422],
  ),
  '/admin/playground/api/inbound': op(
    'post',
    'Map a pasted inbound FHIR/BaRS message with an inverse mapping: the navigator record it gives',
    { requestBody: body(inboundSchema) },
    [400, 401, 403, 404, 413],
  ),
  '/admin/playground/api/source': op(
    'get',
    'A mapping file’s text (files inside the mappings folder only)',
    { parameters: [{ ...query('file', { type: 'string' }, 'As the issue names it'), required: true }] },
    [400, 401, 403, 404],
  ),
  '/admin/playground/api/dead-letters/{id}': op(
    'get',
    'A dead letter’s stored record, to open in the playground (audited)',
    { parameters: [idParam('Exchange id')] },
    [400, 401, 403, 404, 409, 422],
  ),
  '/admin/playground/api/goldens': op(
    'post',
    'Save the run as a golden example in the mappings folder (audited)',
    { requestBody: body(goldenSchema) },
    [400, 401, 403, 404, 409, 413, 422],
    '201',
  ),
};
