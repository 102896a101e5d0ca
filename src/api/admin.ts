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
    correlationId: z.uuid().optional(),
    referralId: z.string().min(1).max(64).optional(),
    limit: limit.optional(),
  })
  .strict();
/** An NHS number is searched in a request body only: query strings end up in proxy and access logs. */
const searchSchema = filterSchema
  .extend({
    nhsNumber: z
      .string()
      .regex(/^\d{10}$/)
      .optional(),
  })
  .strict();

const toFilter = (f: z.infer<typeof searchSchema>) => ({
  ...(f.nhsNumber ? { nhsNumber: f.nhsNumber } : {}),
  ...(f.correlationId ? { correlationId: f.correlationId } : {}),
  ...(f.referralId ? { referralId: f.referralId } : {}),
  ...(f.partner ? { partnerId: f.partner } : {}),
  ...(f.site ? { site: f.site } : {}),
  ...(f.reason ? { reason: f.reason } : {}),
  ...(f.from ? { from: new Date(f.from) } : {}),
  ...(f.to ? { to: new Date(f.to) } : {}),
  ...(f.limit ? { limit: f.limit } : {}),
});

const idSchema = z.uuid();
const replayBody = z.object({ remap: z.boolean().default(false) }).strict();
const replaySetBody = z.object({ filter: searchSchema, remap: z.boolean().default(false) }).strict();
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
const auditQuery = z
  .object({
    actor: z.string().min(1).max(200).optional(),
    action: z
      .string()
      .regex(/^[a-z][a-z-]{0,62}$/)
      .optional(),
    resource: z.string().min(1).max(200).optional(),
    outcome: z.enum(['success', 'failure', 'denied']).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: limit.optional(),
  })
  .strict();

const toAuditQuery = (q: z.infer<typeof auditQuery>) => ({
  ...(q.actor ? { actor: q.actor } : {}),
  ...(q.action ? { action: q.action } : {}),
  ...(q.resource ? { resource: q.resource } : {}),
  ...(q.outcome ? { outcome: q.outcome } : {}),
  ...(q.from ? { from: new Date(q.from) } : {}),
  ...(q.to ? { to: new Date(q.to) } : {}),
  ...(q.after !== undefined ? { after: q.after } : {}),
  ...(q.limit ? { limit: q.limit } : {}),
});

export function adminRouter(nb: Navbridge): Router {
  const r = Router();

  r.get('/dead-letters', async (req, res) => {
    const f = parseOrThrow(filterSchema, req.query, 'query');
    res.json({ deadLetters: await nb.listDeadLetters(callerOf(res), toFilter(f)) });
  });

  r.post('/dead-letters/search', async (req, res) => {
    const f = parseOrThrow(searchSchema, req.body ?? {}, 'body');
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

  r.get('/audit', async (req, res) => {
    const q = parseOrThrow(auditQuery, req.query, 'query');
    res.json(await nb.queryAudit(callerOf(res), toAuditQuery(q)));
  });

  r.get('/audit/AuditEvent', async (req, res) => {
    const q = parseOrThrow(auditQuery, req.query, 'query');
    const { bundle, next } = await nb.exportAuditEvents(callerOf(res), toAuditQuery(q));
    if (next !== undefined) {
      const params = new URLSearchParams(req.query as Record<string, string>);
      params.set('after', String(next));
      bundle.link = [{ relation: 'next', url: `${req.baseUrl}/audit/AuditEvent?${params}` }];
    }
    res.type('application/fhir+json').send(JSON.stringify(bundle));
  });

  r.get('/audit/verify', async (_req, res) => {
    const verdict = await nb.verifyAudit(callerOf(res));
    res.status(verdict.ok ? 200 : 409).json(verdict);
  });

  return r;
}
