// Who is calling: partners (bearer JWTs as in SMART Backend Services), navigator sites (X-API-Key,
// stored as SHA-256 digests) and the admin (bearer token). Sets res.locals.principal or answers 401.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import type { AppConfig } from '../settings/app-config.js';
import { issue, NavbridgeError } from '../errors/index.js';

export type Principal =
  | { kind: 'partner'; partnerId: string }
  | { kind: 'site'; siteId: string; keyId: string }
  | { kind: 'admin'; actor: string };
export type PrincipalKind = Principal['kind'];

export interface AuthDeps {
  /** Partners, API keys and the audience; absent → only the admin credential is accepted. */
  config?: Pick<AppConfig, 'partners' | 'apiKeys' | 'publicBaseUrl'> &
    Partial<Pick<AppConfig, 'siteClients'>>;
  /** Where `inbound.publicKeysEnv` JWKS documents are read from (once, at start-up). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The admin bearer token (from the environment variable the config names). */
  adminToken?: string;
  now?: () => Date;
}

/** A partner's token may live at most this long from now (SMART Backend Services: 5 minutes). */
export const MAX_TOKEN_LIFETIME_S = 300;
/** Clock skew tolerated on `exp`/`nbf`/`iat` between the partner and navbridge. */
const CLOCK_TOLERANCE_S = 30;
const ALGORITHMS = ['RS256', 'ES256'];
const REALM = 'Bearer realm="navbridge"';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export const principalOf = (res: Response): Principal => res.locals.principal as Principal;

function unauthorized(res: Response, diagnostics: string, invalid: boolean): NavbridgeError {
  res.set('WWW-Authenticate', invalid ? `${REALM}, error="invalid_token"` : REALM);
  return new NavbridgeError('REC_UNAUTHORIZED', [
    issue({ code: invalid ? 'security' : 'login', diagnostics, errorCode: 'REC_UNAUTHORIZED' }),
  ]);
}

export const forbidden = (diagnostics: string): NavbridgeError =>
  new NavbridgeError('REC_FORBIDDEN', [
    issue({ code: 'forbidden', diagnostics, errorCode: 'REC_FORBIDDEN' }),
  ]);

type KeySet = Parameters<typeof jwtVerify>[1];

function keySetOf(
  inbound: { jwksUrl?: string | undefined; publicKeysEnv?: string | undefined } | undefined,
  env: AuthDeps['env'],
): KeySet | undefined {
  if (!inbound) return undefined;
  if (inbound.jwksUrl) return createRemoteJWKSet(new URL(inbound.jwksUrl));
  const raw = inbound.publicKeysEnv ? env?.[inbound.publicKeysEnv] : undefined;
  if (!raw) return undefined;
  try {
    return createLocalJWKSet(JSON.parse(raw) as JSONWebKeySet);
  } catch {
    return undefined;
  }
}

/** Express middleware: identifies the caller or answers 401 with an OperationOutcome. */
export function authenticate(deps: AuthDeps): RequestHandler {
  const now = deps.now ?? (() => new Date());
  const adminHash = deps.adminToken ? sha256(deps.adminToken) : undefined;
  const adminActor = adminHash ? `admin:${adminHash.toString('hex').slice(0, 8)}` : 'admin';
  const apiKeys = (deps.config?.apiKeys ?? []).map((k) => ({ ...k, digest: Buffer.from(k.sha256, 'hex') }));
  // JWT clients by `iss`: partners, and navigator case systems that use JWTs instead of API keys.
  const clients = new Map<string, { principal: Principal; keys: KeySet | undefined }>();
  for (const p of deps.config?.partners ?? []) {
    if (p.inbound)
      clients.set(p.inbound.clientId, {
        principal: { kind: 'partner', partnerId: p.id },
        keys: keySetOf(p.inbound, deps.env),
      });
  }
  for (const c of deps.config?.siteClients ?? []) {
    clients.set(c.clientId, {
      principal: { kind: 'site', siteId: c.site, keyId: c.id },
      keys: keySetOf(c, deps.env),
    });
  }

  const siteByKey = (key: string): Principal | undefined => {
    const presented = sha256(key);
    let found: (typeof apiKeys)[number] | undefined;
    // Every configured digest is compared (no early exit), each in constant time.
    for (const k of apiKeys) if (timingSafeEqual(presented, k.digest) && !found) found = k;
    return found ? { kind: 'site', siteId: found.site, keyId: found.id } : undefined;
  };

  const clientByJwt = async (token: string): Promise<Principal | undefined> => {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    const entry = typeof iss === 'string' ? clients.get(iss) : undefined;
    if (!entry?.keys || !deps.config) return undefined;
    const clientId = iss as string;
    try {
      const current = now();
      const { payload } = await jwtVerify(token, entry.keys, {
        algorithms: ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: deps.config.publicBaseUrl,
        requiredClaims: ['exp', 'jti'],
        currentDate: current,
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      if (typeof payload.jti !== 'string' || !payload.jti) return undefined;
      const lifetime = (payload.exp ?? 0) - Math.floor(current.getTime() / 1000);
      if (lifetime > MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S) return undefined;
      return entry.principal;
    } catch {
      return undefined;
    }
  };

  return (req, res, next) => {
    const apiKey = req.get('x-api-key');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    if (apiKey === undefined && bearer === undefined) {
      next(unauthorized(res, 'credentials are required (bearer token or X-API-Key)', false));
      return;
    }
    if (apiKey !== undefined) {
      const site = siteByKey(apiKey);
      if (!site) return next(unauthorized(res, 'the API key is not valid', true));
      res.locals.principal = site;
      return next();
    }
    const token = bearer as string;
    if (adminHash && timingSafeEqual(sha256(token), adminHash)) {
      res.locals.principal = { kind: 'admin', actor: adminActor } satisfies Principal;
      return next();
    }
    clientByJwt(token).then((p) => {
      if (!p) return next(unauthorized(res, 'the bearer token is not valid', true));
      res.locals.principal = p;
      next();
    }, next);
  };
}

/** 403 for callers of any other kind (after authenticate). */
export function requireKind(...kinds: PrincipalKind[]): RequestHandler {
  return (_req, res, next) => {
    const p = res.locals.principal as Principal | undefined;
    if (p && kinds.includes(p.kind)) return next();
    next(forbidden(`this endpoint is not available to ${p?.kind ?? 'anonymous'} callers`));
  };
}
