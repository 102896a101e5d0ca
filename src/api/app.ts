// buildApp(deps): the express app without a port (tests drive it directly; entry points listen).
// Open: GET /health, GET /ready, GET /api/openapi.json (and GET /fhir/metadata). Everything else authenticates:
// /admin for the admin, /api/v1 for navigator sites (and the admin), /fhir for partners.
import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/index.js';
import type { Navbridge } from '../service/navbridge.js';
import type { Caller } from '../service/types.js';
import { type HttpSettings, httpSchema } from '../settings/http.js';
import { accessLog, mountPoint } from './access-log.js';
import { adminRouter } from './admin.js';
import { authenticate, requireKind } from './auth.js';
import { checkRequestTarget, jsonBody } from './body.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { fhirRouter } from './fhir/router.js';
import { intakeLimit } from './intake-limit.js';
import { navigatorRouter } from './navigator/router.js';
import { renderDocsPage } from './openapi/docs-page.js';
import { openApiDocument } from './openapi/index.js';
import { PLAYGROUND_PATH, playgroundRouter } from './playground.js';
import {
  basicAsBearer,
  boardAvailable,
  boardCsp,
  QUEUE_BOARD_PATH,
  type QueueBoard,
  queueBoardRouter,
} from './queue-board.js';
import { type RateStoreFactory, rateGuards } from './rate-limits.js';

export interface AppDeps {
  navbridge: Navbridge;
  /** navbridge's FHIR base URL as partners see it (JWT audience, Location headers). */
  publicBaseUrl: string;
  logger: Logger;
  /** Body limits, timeouts and rate limits (navbridge.config.yaml `http:`; defaults otherwise). */
  http?: HttpSettings;
  /** Rate-limit counters shared by API processes (Redis); in-process counters otherwise. */
  rateStores?: RateStoreFactory;
  /** The partners' queues for bull-board at /admin/queues (read-only, admin only). */
  queueBoard?: QueueBoard;
  /** Prometheus metrics: inbound requests are counted, and GET /metrics (admin) exposes them. */
  metrics?: Metrics;
  now?: () => Date;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const now = deps.now ?? (() => new Date());
  const nb = deps.navbridge;
  const http = deps.http ?? httpSchema.parse({});
  app.set('trust proxy', http.trustProxy);
  const json = jsonBody(['application/json'], http.limits);
  // Refusals at the edge are audited too (best effort, never delaying the answer).
  const guards = rateGuards(http.rateLimits, deps.rateStores, (req) => {
    void nb.auditEdgeRefusal(undefined, {
      kind: 'failed-auth-limit',
      route: req.baseUrl || req.path,
      address: req.ip,
    });
  });
  const denied = (caller: Caller | undefined, req: Request) => {
    void nb.auditEdgeRefusal(caller, { kind: 'wrong-kind', route: req.baseUrl, address: req.ip });
  };
  const auth = guards.authenticated(
    authenticate(
      nb.authenticate,
      http.clientCertificateHeader ? { certificateHeader: http.clientCertificateHeader } : {},
    ),
  );
  // Security headers (helmet: nosniff, HSTS, frame and referrer policy...). Answers carry patient data:
  // never stored by a cache. JSON answers get a CSP that allows nothing; an HTML page sets its own.
  app.use(accessLog(deps.logger, deps.metrics));
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    next();
  });
  app.use(guards.byAddress);
  app.use((req, _res, next) => {
    checkRequestTarget(req.url);
    next();
  });

  // Liveness: the process answers; no dependency is asked (a supervisor restarting navbridge because
  // Redis is down would not bring Redis back).
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: PostgreSQL, Redis, migrations applied, each partner's circuit; 503 when not ready,
  // within HEALTH_TIMEOUT_MS whatever is down.
  app.get('/ready', async (_req, res) => {
    const r = await nb.readiness();
    res.status(r.ready ? 200 : 503).json({
      status: r.ready ? 'ready' : 'not-ready',
      postgres: r.postgres,
      redis: r.redis,
      migrations: r.migrations,
      partners: r.partners,
    });
  });

  const openapi = openApiDocument(deps.publicBaseUrl);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  const docsPage = renderDocsPage(openapi);
  app.get('/api/docs', (_req, res) => {
    res.type('html').send(docsPage);
  });

  const metrics = deps.metrics;
  if (metrics)
    app.get('/metrics', mountPoint, auth, requireKind(['admin'], denied), async (_req, res) => {
      const m = await metrics.scrape();
      res.type(m.contentType).send(m.body);
    });
  if (deps.queueBoard)
    app.use(
      QUEUE_BOARD_PATH,
      mountPoint,
      boardCsp,
      basicAsBearer,
      auth,
      requireKind(['admin'], denied),
      boardAvailable(deps.queueBoard),
      queueBoardRouter(deps.queueBoard.adapters),
    );
  // The playground's page is opened in a browser: Basic credentials carry the admin token (as the board).
  app.use(
    PLAYGROUND_PATH,
    mountPoint,
    basicAsBearer,
    auth,
    requireKind(['admin'], denied),
    json,
    playgroundRouter(nb, http.limits),
  );
  const intake = intakeLimit(http.intake.maxInFlight);
  app.use('/admin', mountPoint, auth, requireKind(['admin'], denied), json, adminRouter(nb));
  app.use(
    '/api/v1',
    mountPoint,
    intake,
    auth,
    requireKind(['site', 'admin'], denied),
    json,
    navigatorRouter(nb),
  );
  app.use(
    '/fhir',
    mountPoint,
    intake,
    fhirRouter({
      navbridge: nb,
      publicBaseUrl: deps.publicBaseUrl,
      now,
      authenticate: auth,
      limits: http.limits,
    }),
  );

  app.use(notFoundHandler);
  app.use(
    errorHandler((err, req) => {
      // The request's logger (pino-http) carries its request id.
      (req.log ?? deps.logger).error({ event: 'unexpected-error', err }, 'unexpected error');
    }),
  );
  return app;
}
