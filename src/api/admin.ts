// Admin API: dead letters (list, show, replay, discard) and exchange payload views. Every payload
// view, replay and discard is written to the append-only audit log.

import { Router } from 'express';
import type { Bundle } from 'fhir/r4.js';
import { z } from 'zod';
import { issue, NavbridgeError } from '../errors/index.js';
import type { Db } from '../store/db.js';
import {
  type DeadLetterFilter,
  discardDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  showExchange,
} from '../store/dead-letters.js';
import { type Exchange, getExchange, type QueueJob } from '../store/exchanges.js';
import type { AdminPrincipal } from './admin-auth.js';
import { parseOrThrow } from './validate-input.js';

export interface AdminDeps {
  db: Db;
  enqueue(jobs: readonly QueueJob[]): Promise<void>;
  /** Re-runs the mapping of an exchange's record with the current mapping version. */
  remap?: (x: Exchange) => Promise<{ payload: Bundle; mappingVersion: string }>;
}

const filterSchema = z
  .object({
    partner: z.string().max(64).optional(),
    site: z.string().max(64).optional(),
    reason: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const toFilter = (f: z.infer<typeof filterSchema>): DeadLetterFilter => ({
  ...(f.partner ? { partnerId: f.partner } : {}),
  ...(f.site ? { site: f.site } : {}),
  ...(f.reason ? { reason: f.reason } : {}),
  ...(f.from ? { from: new Date(f.from) } : {}),
  ...(f.to ? { to: new Date(f.to) } : {}),
  ...(f.limit ? { limit: f.limit } : {}),
});

const idSchema = z.string().uuid();
const replayBody = z.object({ remap: z.boolean().default(false) }).strict();
const replaySetBody = z.object({ filter: filterSchema, remap: z.boolean().default(false) }).strict();
const discardBody = z.object({ reason: z.string().min(1).max(500) }).strict();

export function adminRouter(deps: AdminDeps): Router {
  const r = Router();
  const actor = (res: { locals: Record<string, unknown> }) => (res.locals.principal as AdminPrincipal).actor;

  const replayOne = async (id: string, who: string, remap: boolean): Promise<QueueJob[]> => {
    let opts = {};
    if (remap) {
      if (!deps.remap)
        throw new NavbridgeError('REC_UNPROCESSABLE_ENTITY', 'remapping is not available here');
      const x = await getExchange(deps.db, id);
      if (x) {
        const m = await deps.remap(x);
        opts = { payload: m.payload, mappingVersion: m.mappingVersion };
      }
    }
    return replayDeadLetter(deps.db, id, who, opts);
  };

  r.get('/dead-letters', async (req, res) => {
    const f = parseOrThrow(filterSchema, req.query, 'query');
    res.json({ deadLetters: await listDeadLetters(deps.db, toFilter(f)) });
  });

  r.get('/exchanges/:id', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    const x = await showExchange(deps.db, id, actor(res));
    if (!x)
      throw new NavbridgeError('REC_NOT_FOUND', [
        issue({ code: 'not-found', diagnostics: 'no such exchange', errorCode: 'REC_NOT_FOUND' }),
      ]);
    const { queueToken: _q, claimToken: _c, ...visible } = x;
    res.json(visible);
  });

  r.post('/dead-letters/:id/replay', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    const body = parseOrThrow(replayBody, req.body ?? {}, 'body');
    const jobs = await replayOne(id, actor(res), body.remap);
    await deps.enqueue(jobs);
    res.json({ replayed: [id] });
  });

  r.post('/dead-letters/replay', async (req, res) => {
    const body = parseOrThrow(replaySetBody, req.body ?? {}, 'body');
    // Oldest first, so each person's sequence is reopened in order.
    const dead = await listDeadLetters(deps.db, toFilter(body.filter));
    const replayed: string[] = [];
    for (const d of dead) {
      await deps.enqueue(await replayOne(d.id, actor(res), body.remap));
      replayed.push(d.id);
    }
    res.json({ replayed });
  });

  r.post('/dead-letters/:id/discard', async (req, res) => {
    const id = parseOrThrow(idSchema, req.params.id, 'id');
    const body = parseOrThrow(discardBody, req.body ?? {}, 'body');
    await deps.enqueue(await discardDeadLetter(deps.db, id, actor(res), body.reason));
    res.json({ discarded: [id] });
  });

  return r;
}
