// The mapping playground at /admin/playground (admin only; 404 unless `playground.enabled`): a plain
// page and a small script (public/playground/, no build step), and its JSON API under /api. The page
// only displays what the API answers; every mapping, check, route and payload is the service's.
import { readFileSync } from 'node:fs';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { notFound, tooLarge } from '../errors/index.js';
import { RECORD_TYPES } from '../records/index.js';
import type { Navbridge } from '../service/navbridge.js';
import type { HttpLimits } from '../settings/http.js';
import { callerOf } from './auth.js';
import { nestingDepth } from './body.js';
import { parseOrThrow } from './validate-input.js';

export const PLAYGROUND_PATH = '/admin/playground';

/** The page's own scripts and styles only, and calls to its own API. */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** public/ is two levels above both src/api/ (tests) and dist/api/ (the built code). */
const PUBLIC_DIR = new URL('../../public/playground/', import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/playground.js': { file: 'playground.js', type: 'text/javascript; charset=utf-8' },
  '/playground.css': { file: 'playground.css', type: 'text/css; charset=utf-8' },
};

const siteId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
export const runSchema = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    format: z.enum(['json', 'csv']).default('json'),
    text: z.string().min(1),
    site: siteId.optional(),
    now: z.iso.datetime({ offset: true }).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
    golden: z.string().min(1).max(300).optional(),
  })
  .strict();
export const goldenSchema = runSchema
  .omit({ golden: true })
  .extend({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'kebab-case: a-z, 0-9 and -'),
    rejection: z.boolean().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();
export const inboundSchema = z
  .object({
    mapping: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    text: z.string().min(1),
    partner: z.string().min(1).max(64).optional(),
    now: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
const sourceQuery = z.object({ file: z.string().min(1).max(300) }).strict();

/** Every playground route answers 404 while the playground is off. */
const whenEnabled =
  (nb: Navbridge): RequestHandler =>
  (_req, _res, next) =>
    next(nb.playgroundEnabled ? undefined : notFound('route'));

export function playgroundRouter(nb: Navbridge, limits: HttpLimits): Router {
  const r = Router();
  r.use(whenEnabled(nb));
  const cache = new Map<string, string>();
  for (const [route, asset] of Object.entries(ASSETS)) {
    r.get(route, (_req, res) => {
      let body = cache.get(asset.file);
      if (body === undefined) {
        body = readFileSync(new URL(asset.file, PUBLIC_DIR), 'utf8');
        cache.set(asset.file, body);
      }
      if (asset.file === 'index.html') res.set('Content-Security-Policy', PAGE_CSP);
      res.type(asset.type).send(body);
    });
  }
  // The pasted text is parsed as JSON by the pipeline: held to the body's nesting limit first.
  const text = (value: string) => {
    if (nestingDepth(value, limits.depth) > limits.depth)
      throw tooLarge(`text: nested deeper than ${limits.depth}`, { expression: 'text' });
    return value;
  };

  r.get('/api/catalog', async (_req, res) => {
    res.json(await nb.playgroundCatalog(callerOf(res)));
  });
  r.post('/api/run', async (req, res) => {
    const body = parseOrThrow(runSchema, req.body ?? {}, 'body');
    res.json(await nb.runPlaygroundRecord(callerOf(res), { ...body, text: text(body.text) }));
  });
  r.post('/api/inbound', async (req, res) => {
    const body = parseOrThrow(inboundSchema, req.body ?? {}, 'body');
    res.json(await nb.runPlaygroundInbound(callerOf(res), { ...body, text: text(body.text) }));
  });
  r.get('/api/source', async (req, res) => {
    const q = parseOrThrow(sourceQuery, req.query, 'query');
    res.json(await nb.playgroundSource(callerOf(res), q.file));
  });
  r.get('/api/dead-letters/:id', async (req, res) => {
    const id = parseOrThrow(z.uuid(), req.params.id, 'id');
    res.json(await nb.openPlaygroundDeadLetter(callerOf(res), id));
  });
  r.post('/api/goldens', async (req, res) => {
    const body = parseOrThrow(goldenSchema, req.body ?? {}, 'body');
    res.status(201).json(await nb.savePlaygroundGolden(callerOf(res), { ...body, text: text(body.text) }));
  });
  return r;
}
