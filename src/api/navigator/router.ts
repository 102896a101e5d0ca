// Navigator API (/api/v1, JSON): referrals (list with status/overdue/non-engagement filters, detail),
// record submission, exchange delivery state, the KPI report. The router registers exactly the route
// table (./routes.ts), which is also what the OpenAPI document describes.
import { Router } from 'express';
import type { Navbridge } from '../../service/navbridge.js';
import { expressPath } from '../route-table.js';
import { NAVIGATOR_ROUTES } from './routes.js';

export function navigatorRouter(nb: Navbridge): Router {
  const r = Router();
  for (const route of NAVIGATOR_ROUTES) r[route.method](expressPath(route.path), route.handler(nb));
  return r;
}
