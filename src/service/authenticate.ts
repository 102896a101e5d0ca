// Who is calling: partners (bearer JWTs as in SMART Backend Services), navigator sites (X-API-Key,
// stored as SHA-256 digests, or JWTs) and the admin (bearer token). The credentials in, a Caller out
// (or 401: `login` when none were given, `security` when they do not verify).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { unauthorized } from '../errors/index.js';
import type { AppConfig } from '../settings/app-config.js';
import type { Secrets } from '../settings/env.js';
import { audit } from '../store/audit.js';
import type { Db } from '../store/db.js';
import { claimTokenId } from '../store/seen-tokens.js';
import { actorOf, type Caller } from './types.js';

/** A partner's token may live at most this long from now (SMART Backend Services: 5 minutes). */
export const MAX_TOKEN_LIFETIME_S = 300;
/** Clock skew tolerated on `exp`/`nbf`/`iat` between the partner and navbridge (README "Security"). */
export const CLOCK_TOLERANCE_S = 30;
const ALGORITHMS = ['RS256', 'ES256'];

export interface Credentials {
  /** X-API-Key, when given. */
  apiKey?: string;
  /** The token of `Authorization: Bearer <token>`, when given. */
  bearer?: string;
  /** SHA-256 (lower-case hex) of the verified client certificate of the connection (mutual TLS). */
  clientCertificate?: string;
  /** The client's network address (a failed authentication is audited with it). */
  address?: string;
}

export interface AuthenticatorDeps {
  /** Partners, site clients, API keys and the audience (`publicBaseUrl`). */
  config: Pick<AppConfig, 'partners' | 'apiKeys' | 'publicBaseUrl' | 'siteClients'> & {
    secrets?: Pick<AppConfig['secrets'], 'adminTokenSha256'>;
  };
  secrets: Pick<Secrets, 'adminToken' | 'jwks'>;
  now(): Date;
  /** Where verified token ids are kept until they expire, shared by every API process (replays). */
  db: Db;
}

export type Authenticate = (c: Credentials) => Promise<Caller>;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

type KeySet = Parameters<typeof jwtVerify>[1];

function keySetOf(
  inbound: { jwksUrl?: string | undefined; publicKeysEnv?: string | undefined } | undefined,
  jwks: Secrets['jwks'],
): KeySet | undefined {
  if (!inbound) return undefined;
  if (inbound.jwksUrl) return createRemoteJWKSet(new URL(inbound.jwksUrl));
  const raw = inbound.publicKeysEnv ? jwks[inbound.publicKeysEnv] : undefined;
  if (!raw) return undefined;
  try {
    return createLocalJWKSet(JSON.parse(raw) as JSONWebKeySet);
  } catch {
    return undefined;
  }
}

/** The admin token's digest: the configured one (`secrets.adminTokenSha256`), else the env token's. */
export function adminDigest(
  digestHex: string | undefined,
  adminToken: string | undefined,
): Buffer | undefined {
  if (digestHex) return Buffer.from(digestHex, 'hex');
  return adminToken ? sha256(adminToken) : undefined;
}

/** Whether `presented` is the admin token (constant time). */
export const isAdminToken = (digest: Buffer | undefined, presented: string): boolean =>
  digest !== undefined && timingSafeEqual(sha256(presented), digest);

/** Which jose check failed: its code, and the claim for a claim check (e.g. `claim-invalid:aud`). */
function joseRefusal(err: unknown): string {
  const e = err as { code?: unknown; claim?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'verification-failed';
  const name =
    {
      ERR_JWT_EXPIRED: 'expired',
      ERR_JWT_CLAIM_VALIDATION_FAILED: 'claim-invalid',
      ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature-invalid',
      ERR_JWKS_NO_MATCHING_KEY: 'no-matching-key',
      ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm-not-allowed',
      ERR_JWS_INVALID: 'malformed',
      ERR_JWT_INVALID: 'malformed',
      ERR_JWKS_TIMEOUT: 'jwks-timeout',
    }[code] ?? code;
  return typeof e?.claim === 'string' && /^[a-z]{1,16}$/.test(e.claim) ? `${name}:${e.claim}` : name;
}

export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  const adminHash = adminDigest(deps.config.secrets?.adminTokenSha256, deps.secrets.adminToken);
  const adminActor = adminHash ? `admin:${adminHash.toString('hex').slice(0, 8)}` : 'admin';
  const apiKeys = deps.config.apiKeys.map((k) => ({ ...k, digest: Buffer.from(k.sha256, 'hex') }));
  // JWT clients by `iss`: partners, and navigator case systems that use JWTs instead of API keys.
  const clients = new Map<
    string,
    { caller: Caller; keys: KeySet | undefined; certificates?: readonly string[] | undefined }
  >();
  for (const p of deps.config.partners) {
    if (p.inbound)
      clients.set(p.inbound.clientId, {
        caller: { kind: 'partner', partnerId: p.id },
        keys: keySetOf(p.inbound, deps.secrets.jwks),
        certificates: p.inbound.certificates,
      });
  }
  for (const c of deps.config.siteClients) {
    clients.set(c.clientId, {
      caller: { kind: 'site', siteId: c.site, keyId: c.id },
      keys: keySetOf(c, deps.secrets.jwks),
    });
  }

  const siteByKey = (key: string): Caller | undefined => {
    const presented = sha256(key);
    let found: (typeof apiKeys)[number] | undefined;
    // Every configured digest is compared (no early exit), each in constant time.
    for (const k of apiKeys) if (timingSafeEqual(presented, k.digest) && !found) found = k;
    return found ? { kind: 'site', siteId: found.site, keyId: found.id } : undefined;
  };

  /** The caller, or which check refused the token (for the log only, never for the caller). */
  const clientByJwt = async (
    token: string,
    certificate: string | undefined,
  ): Promise<{ caller: Caller } | { refused: string }> => {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return { refused: 'not-a-jwt' };
    }
    if (typeof iss !== 'string') return { refused: 'no-issuer' };
    const entry = clients.get(iss);
    if (!entry) return { refused: 'unknown-issuer' };
    if (!entry.keys) return { refused: 'no-keys-for-client' };
    // Bound to its certificates: a token of this client over any other connection is not its own.
    if (entry.certificates && !(certificate && entry.certificates.includes(certificate)))
      return { refused: certificate ? 'client-certificate-not-bound' : 'client-certificate-missing' };
    const clientId = iss;
    let verified: { jti: string; exp: number };
    const current = deps.now();
    try {
      const { payload } = await jwtVerify(token, entry.keys, {
        algorithms: ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: deps.config.publicBaseUrl,
        requiredClaims: ['exp', 'jti'],
        currentDate: current,
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256)
        return { refused: 'jti-invalid' };
      const nowS = Math.floor(current.getTime() / 1000);
      const lifetime = (payload.exp ?? 0) - nowS;
      if (lifetime > MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S) return { refused: 'lifetime-too-long' };
      // Issued in the future (beyond the tolerance): a wrong clock or a token minted to outlive its exp.
      if (typeof payload.iat === 'number' && payload.iat > nowS + CLOCK_TOLERANCE_S)
        return { refused: 'iat-in-future' };
      verified = { jti: payload.jti, exp: payload.exp ?? nowS };
    } catch (err) {
      return { refused: joseRefusal(err) };
    }
    // Only a verified token spends its id; the store errors (PostgreSQL down) are the caller's 503.
    const expiresAt = new Date((verified.exp + CLOCK_TOLERANCE_S) * 1000);
    return (await claimTokenId(deps.db, clientId, verified.jti, expiresAt, current))
      ? { caller: entry.caller }
      : { refused: 'jti-replayed' };
  };

  /** The configured client a token claims to be (its unverified `iss`), named only if it is one. */
  const claimedClient = (token: string): string | undefined => {
    try {
      const iss = decodeJwt(token).iss;
      const entry = typeof iss === 'string' ? clients.get(iss) : undefined;
      return entry ? actorOf(entry.caller) : undefined;
    } catch {
      return undefined;
    }
  };

  /** Every failed authentication is an audit row: no credential, never the presented secret. */
  const failed = async (
    c: Credentials,
    reason: 'missing' | 'invalid',
    message: string,
    refusal?: string,
  ): Promise<never> => {
    const credential = c.apiKey !== undefined ? 'api-key' : c.bearer !== undefined ? 'bearer' : 'none';
    const claimed = c.bearer !== undefined && c.apiKey === undefined ? claimedClient(c.bearer) : undefined;
    await audit(deps.db, {
      actor: 'anonymous',
      action: 'authenticate',
      targetType: 'credential',
      targetId: null,
      outcome: 'failure',
      sourceAddress: c.address,
      detail: { credential, reason, ...(refusal ? { check: refusal } : {}), ...(claimed ? { claimed } : {}) },
    }).catch(() => {});
    // The failed check is logged and audited, never told to the caller.
    throw unauthorized(
      message,
      reason === 'invalid' ? { code: 'security', ...(refusal ? { refusal } : {}) } : undefined,
    );
  };

  return async (c) => {
    const { apiKey, bearer, clientCertificate } = c;
    if (apiKey === undefined && bearer === undefined)
      return failed(c, 'missing', 'credentials are required (bearer token or X-API-Key)');
    if (apiKey !== undefined) {
      const site = siteByKey(apiKey);
      if (!site) return failed(c, 'invalid', 'the API key is not valid', 'unknown-api-key');
      return site;
    }
    const token = bearer as string;
    if (adminHash && timingSafeEqual(sha256(token), adminHash)) return { kind: 'admin', actor: adminActor };
    const found = await clientByJwt(token, clientCertificate);
    if ('refused' in found) return failed(c, 'invalid', 'the bearer token is not valid', found.refused);
    return found.caller;
  };
}
