// Navigator API (/api/v1, JSON): referrals (list with status/overdue/non-engagement filters, detail),
// record submission, exchange delivery state. Each route parses its input and calls one use case;
// the service decides what the caller may see (a site only its own; anything else is 404).
import { type Request, Router } from 'express';
import { z } from 'zod';
import { notFound } from '../../errors/index.js';
import { RECORD_TYPES } from '../../records/index.js';
import type { Navbridge } from '../../service/navbridge.js';
import { kpiCsv } from '../../service/report-formats.js';
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

  r.get('/reports/kpi', async (req, res) => {
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
