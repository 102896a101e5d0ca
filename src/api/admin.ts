// Admin API: dead letters (list, show, replay, discard), exchange payload views, records kept
// because their mapping failed (list, remap), and the watchdog's alerts. Each route parses its
// input and calls one use case.
import { Router } from 'express';
import { z } from 'zod';
import type { Navbridge } from '../service/navbridge.js';
import { callerOf } from './auth.js';
import { parseOrThrow } from './validate-input.js';

const siteId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
const limit = z.coerce.number().int().min(1).max(1000);

const filterSchema = z
  .object({
    partner: z.string().max(64).optional(),
    site: z.string().max(64).optional(),
    reason: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: limit.optional(),
  })
  .strict();

const toFilter = (f: z.infer<typeof filterSchema>) => ({
  ...(f.partner ? { partnerId: f.partner } : {}),
  ...(f.site ? { site: f.site } : {}),
  ...(f.reason ? { reason: f.reason } : {}),
  ...(f.from ? { from: new Date(f.from) } : {}),
  ...(f.to ? { to: new Date(f.to) } : {}),
  ...(f.limit ? { limit: f.limit } : {}),
});

const idSchema = z.uuid();
const replayBody = z.object({ remap: z.boolean().default(false) }).strict();
const replaySetBody = z.object({ filter: filterSchema, remap: z.boolean().default(false) }).strict();
const discardBody = z.object({ reason: z.string().min(1).max(500) }).strict();
const recordsQuery = z
  .object({
    state: z.enum(['mapping-failed', 'remapped']).optional(),
    site: siteId.optional(),
    limit: limit.optional(),
  })
  .strict();
const alertsQuery = z
  .object({
    state: z.enum(['open', 'all']).optional(),
    kind: z
      .string()
      .regex(/^[a-z][a-z-]{1,62}$/)
      .optional(),
    limit: limit.optional(),
  })
  .strict();
const remapSetBody = z.object({ site: siteId.optional(), limit: limit.optional() }).strict();

export function adminRouter(nb: Navbridge): Router {
  const r = Router();

  r.get('/dead-letters', async (req, res) => {
    const f = parseOrThrow(filterSchema, req.query, 'query');
    res.json({ deadLetters: await nb.listDeadLetters(callerOf(res), toFilter(f)) });
  });

  r.get('/exchanges/:id', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    res.json(await nb.showExchange(callerOf(res), id));
  });

  r.post('/dead-letters/:id/replay', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    const body = parseOrThrow(replayBody, req.body ?? {}, 'body');
    res.json(await nb.replayDeadLetters(callerOf(res), { id }, { remap: body.remap }));
  });

  r.post('/dead-letters/replay', async (req, res) => {
    const body = parseOrThrow(replaySetBody, req.body ?? {}, 'body');
    res.json(
      await nb.replayDeadLetters(callerOf(res), { filter: toFilter(body.filter) }, { remap: body.remap }),
    );
  });

  r.post('/dead-letters/:id/discard', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    const body = parseOrThrow(discardBody, req.body ?? {}, 'body');
    res.json(await nb.discardDeadLetter(callerOf(res), id, body.reason));
  });

  r.get('/alerts', async (req, res) => {
    const q = parseOrThrow(alertsQuery, req.query, 'query');
    res.json({ alerts: await nb.listAlerts(callerOf(res), q) });
  });

  r.get('/records', async (req, res) => {
    const q = parseOrThrow(recordsQuery, req.query, 'query');
    res.json({ records: await nb.listFailedRecords(callerOf(res), q) });
  });

  r.post('/records/:id/remap', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    res.json(await nb.remapFailure(callerOf(res), id));
  });

  r.post('/records/remap', async (req, res) => {
    const body = parseOrThrow(remapSetBody, req.body ?? {}, 'body');
    res.json({ remapped: await nb.remapFailures(callerOf(res), body) });
  });

  return r;
}
