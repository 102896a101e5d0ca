// Navigator API (/api/v1, JSON): referrals (list with status/overdue/non-engagement filters, detail),
// record submission, exchange delivery state. Each route parses its input and calls one use case;
// the service decides what the caller may see (a site only its own; anything else is 404).
import { Router } from 'express';
import { z } from 'zod';
import { notFound } from '../../errors/index.js';
import { RECORD_TYPES } from '../../records/index.js';
import type { Navbridge } from '../../service/navbridge.js';
import { callerOf } from '../auth.js';
import { parseOrThrow } from '../validate-input.js';

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
const recordBody = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    record: z.record(z.string(), z.unknown()),
  })
  .strict();
const refId = z.string().min(1).max(64);

export function navigatorRouter(nb: Navbridge): Router {
  const r = Router();

  r.get('/referrals', async (req, res) => {
    const q = parseOrThrow(listQuery, req.query, 'query');
    res.json(await nb.listReferrals(callerOf(res), q));
  });

  r.get('/referrals/:id', async (req, res) => {
    const id = parseOrThrow(refId, req.params.id, 'id');
    const q = parseOrThrow(showQuery, req.query, 'query');
    res.json(await nb.showReferral(callerOf(res), id, q.site));
  });

  r.post('/records', async (req, res) => {
    const body = parseOrThrow(recordBody, req.body ?? {}, 'body');
    res.status(202).json(await nb.submitRecord(callerOf(res), body.recordType, body.record));
  });

  r.get('/exchanges/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) throw notFound('exchange');
    res.json(await nb.showExchangeState(callerOf(res), id.data));
  });

  return r;
}
