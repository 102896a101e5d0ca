// buildApp(deps): the express app without a port (tests drive it directly; entry points listen).
// Open: GET /health, GET /api/openapi.json (and GET /fhir/metadata). Everything else authenticates
// (src/api/auth.ts): /admin for the admin, /api/v1 for navigator sites (and the admin), /fhir for partners.
import express, { type Express, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { inboundMappingCache } from '../config/inbound-mappings.js';
import type { LoadedConfig } from '../config/load-app-config.js';
import { issue, NavbridgeError } from '../errors/index.js';
import type { Validator } from '../fhir/validate.js';
import type { NavigatorService } from '../service/submit.js';
import { type AdminDeps, adminRouter } from './admin.js';
import { type AuthDeps, authenticate, requireKind } from './auth.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { fhirRouter } from './fhir/router.js';
import type { FhirDeps } from './fhir/types.js';
import { navigatorRouter } from './navigator/router.js';
import { openApiDocument } from './openapi.js';

export interface AppDeps extends AdminDeps, AuthDeps {
  redis: Pick<Redis, 'ping'>;
  logger: Logger;
  /** The admin bearer token (from the environment variable the config names). */
  adminToken?: string;
  /** Maximum JSON body size. */
  bodyLimit?: string;
  /** Partners, sites, API keys; without it only /health, /admin and the OpenAPI document are served. */
  config?: LoadedConfig;
  /** The navigator service: /api/v1 and /fhir are mounted only with it (and /fhir with `config`). */
  service?: NavigatorService;
  validator?: Validator;
  now?: () => Date;
  /** Inbound mappings by name; default: loaded from the config's mappings directory and cached. */
  inboundMapping?: FhirDeps['inboundMapping'];
}

/** POST bodies must be JSON: express 5 leaves the body undefined otherwise, so refuse explicitly. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' || req.is('application/json')) return next();
  next(
    new NavbridgeError('REC_UNSUPPORTED_MEDIA_TYPE', [
      issue({
        code: 'not-supported',
        diagnostics: 'the body must be application/json',
        errorCode: 'REC_UNSUPPORTED_MEDIA_TYPE',
      }),
    ]),
  );
};

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const now = deps.now ?? (() => new Date());
  const auth = authenticate({ ...deps, now });
  const json = express.json({ limit: deps.bodyLimit ?? '1mb' });

  app.get('/health', async (_req, res) => {
    const [db, redis] = await Promise.all([
      deps.db.query('SELECT 1').then(
        () => 'ok',
        () => 'unavailable',
      ),
      deps.redis.ping().then(
        () => 'ok',
        () => 'unavailable',
      ),
    ]);
    const ok = db === 'ok' && redis === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', postgres: db, redis });
  });

  const openapi = openApiDocument(deps.config?.publicBaseUrl);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  app.use('/admin', auth, requireKind('admin'), json, adminRouter(deps));

  if (deps.service) {
    app.use(
      '/api/v1',
      auth,
      requireKind('site', 'admin'),
      requireJsonBody,
      json,
      navigatorRouter({ db: deps.db, service: deps.service, now }),
    );
  }

  // FHIR API: GET /fhir/metadata is open; the router runs `auth` before everything else.
  if (deps.service && deps.config) {
    app.use(
      '/fhir',
      fhirRouter({
        db: deps.db,
        service: deps.service,
        partners: deps.config.partners,
        sites: deps.config.sites,
        inboundMapping: deps.inboundMapping ?? inboundMappingCache(deps.config.mappingsDirAbs),
        publicBaseUrl: deps.config.publicBaseUrl,
        now,
        authenticate: auth,
        ...(deps.bodyLimit ? { bodyLimit: deps.bodyLimit } : {}),
        ...(deps.validator ? { validator: deps.validator } : {}),
      }),
    );
  }

  app.use(notFoundHandler);
  app.use(
    errorHandler((err) =>
      deps.logger.error({ event: 'unexpected-error', err: (err as Error)?.name }, 'unexpected error'),
    ),
  );
  return app;
}
