// Per-caller rate limits and failed-authentication backoff (express-rate-limit; counters in Redis via
// rate-limit-redis, shared by every API process). Three guards:
//  - by address, before anything (open endpoints included, probes excepted);
//  - failed authentication by address: after `failedAuth` 401s in the window, 429 until it ends —
//    checked before the credentials are, so a guessing client learns nothing more;
//  - by caller, after authentication: per partner, site or admin, overridable per id.
// A 429 is a BaRS OperationOutcome (REC_TOO_MANY_REQUESTS) with Retry-After. While Redis is down the
// stores count in this process's memory (delivery/rate-store.ts), so the limits still hold; a store that
// fails outright still lets requests through (passOnStoreError), never a 500 or a wait.
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from 'express-rate-limit';
import { tooManyRequests } from '../errors/index.js';
import type { Caller } from '../service/types.js';
import type { RateLimits } from '../settings/http.js';

/** A fresh counter store per limiter (each has its own window). */
export type RateStoreFactory = (name: string) => Store;

export interface RateGuards {
  byAddress: RequestHandler;
  /** Wraps an authentication middleware: the failed-auth check before it, the caller's limit after. */
  authenticated(authenticate: RequestHandler): RequestHandler;
}

const pass: RequestHandler = (_req, _res, next) => next();
const PROBES = new Set(['/health', '/ready']);
const addressOf = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

function callerKey(caller: Caller): { key: string; id: string } {
  switch (caller.kind) {
    case 'partner':
      return { key: `partner:${caller.partnerId}`, id: caller.partnerId };
    case 'site':
      return { key: `site:${caller.siteId}`, id: caller.siteId };
    case 'admin':
      return { key: 'admin', id: 'admin' };
  }
}

const retryAfter = (res: Response, reset: Date | undefined, windowMs: number, now: number): void => {
  const s = reset ? Math.ceil((reset.getTime() - now) / 1000) : Math.ceil(windowMs / 1000);
  res.set('Retry-After', String(Math.max(1, s)));
};

/** Told of each attempt refused for too many failed authentications (the audit trail). */
export type OnAuthBlocked = (req: Request) => void;

export function rateGuards(
  settings: RateLimits,
  stores?: RateStoreFactory,
  onAuthBlocked?: OnAuthBlocked,
): RateGuards {
  if (!settings.enabled) return { byAddress: pass, authenticated: (a) => a };
  const store = (name: string): Store => stores?.(name) ?? new MemoryStore();
  const windowMs = settings.windowSeconds * 1000;
  const refuse =
    (what: string) =>
    (req: Request, res: Response, next: NextFunction): void => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      retryAfter(res, info?.resetTime, windowMs, Date.now());
      next(tooManyRequests(`${what}: try again after Retry-After seconds`));
    };
  const common = {
    windowMs,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    passOnStoreError: true,
    // The window, key and proxy settings are navbridge's own and checked by its schema.
    validate: false,
  };
  const byAddress = rateLimit({
    ...common,
    limit: settings.address,
    skip: (req) => PROBES.has(req.path),
    keyGenerator: addressOf,
    store: store('address'),
    handler: refuse('too many requests from this address'),
  });
  const byCaller = rateLimit({
    ...common,
    limit: (_req, res) => {
      const caller = res.locals.caller as Caller | undefined;
      if (!caller) return settings.address;
      const { id } = callerKey(caller);
      return settings.overrides[id] ?? settings[caller.kind];
    },
    keyGenerator: (req, res) => {
      const caller = res.locals.caller as Caller | undefined;
      return caller ? callerKey(caller).key : `address:${addressOf(req)}`;
    },
    store: store('caller'),
    handler: refuse('too many requests from this caller'),
  });

  // Failed authentications: counted when a 401 goes out, checked (not counted) before each attempt.
  const failed = store('failed-auth');
  const failedWindowMs = settings.failedAuthWindowSeconds * 1000;
  failed.init?.({ windowMs: failedWindowMs } as Parameters<NonNullable<Store['init']>>[0]);
  const failedAuthGuard: RequestHandler = (req, res, next) => {
    const key = addressOf(req);
    res.on('finish', () => {
      if (res.statusCode === 401) Promise.resolve(failed.increment(key)).catch(() => {});
    });
    Promise.resolve(failed.get?.(key))
      .then((info) => {
        if (info && info.totalHits >= settings.failedAuth) {
          onAuthBlocked?.(req);
          retryAfter(res, info.resetTime, failedWindowMs, Date.now());
          return next(
            tooManyRequests(
              'too many failed authentications from this address: try again after Retry-After seconds',
            ),
          );
        }
        next();
      })
      .catch(() => next());
  };

  return {
    byAddress,
    authenticated(authenticate) {
      const chain = Router();
      chain.use(failedAuthGuard, authenticate, byCaller);
      return chain;
    },
  };
}
