// buildApp(deps): the express app without a port (tests drive it directly; entry points listen).
// GET /health is open; /admin needs the admin credential. Later milestones add /fhir and /api/v1.
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AdminDeps, adminRouter } from './admin.js';
import { requireAdmin } from './admin-auth.js';
import { errorHandler, notFoundHandler } from './errors.js';

export interface AppDeps extends AdminDeps {
  redis: Pick<Redis, 'ping'>;
  logger: Logger;
  /** The admin bearer token (from the environment variable the config names). */
  adminToken?: string;
  /** Maximum JSON body size. */
  bodyLimit?: string;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

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

  app.use(
    '/admin',
    requireAdmin(deps.adminToken),
    express.json({ limit: deps.bodyLimit ?? '1mb' }),
    adminRouter(deps),
  );
  app.use(notFoundHandler);
  app.use(
    errorHandler((err) =>
      deps.logger.error({ event: 'unexpected-error', err: (err as Error)?.name }, 'unexpected error'),
    ),
  );
  return app;
}
