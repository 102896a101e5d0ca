// Partner authentication: none, a static bearer token, or OAuth2 client credentials with a signed JWT
// client assertion (SMART Backend Services / NHS application-restricted access), using jose.
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { PartnerConfig } from '../settings/app-config.js';
import { PartnerError } from './errors.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Refresh an access token this long before it expires. */
const TOKEN_EARLY_REFRESH_MS = 30_000;

export interface AuthProvider {
  /** Authorization header value, or undefined for partners without auth. */
  header(signal?: AbortSignal): Promise<string | undefined>;
}

/** `secret`: the partner's bearer token or PEM private key (from the environment variable its auth names). */
export function createAuthProvider(partner: PartnerConfig, secret: string | undefined): AuthProvider {
  const auth = partner.auth;
  if (auth.type === 'none') return { header: async () => undefined };
  if (auth.type === 'bearer') {
    const token = secret;
    if (!token) throw new Error(`partner ${partner.id}: environment variable ${auth.tokenEnv} is not set`);
    return { header: async () => `Bearer ${token}` };
  }
  const pem = secret;
  if (!pem) throw new Error(`partner ${partner.id}: environment variable ${auth.privateKeyEnv} is not set`);
  let cached: { value: string; expiresAt: number } | undefined;
  let keyPromise: ReturnType<typeof importPKCS8> | undefined;
  // Concurrent deliveries share one token request instead of each asking the token endpoint.
  let pending: Promise<string> | undefined;
  const fetchToken = async (signal?: AbortSignal): Promise<string> => {
    keyPromise ??= importPKCS8(pem.replaceAll('\\n', '\n'), auth.algorithm);
    const key = await keyPromise;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: auth.algorithm, kid: auth.keyId, typ: 'JWT' })
      .setIssuer(auth.clientId)
      .setSubject(auth.clientId)
      .setAudience(auth.tokenUrl)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      ...(auth.scope ? { scope: auth.scope } : {}),
    });
    let res: Response;
    try {
      res = await fetch(auth.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch {
      throw new PartnerError('retry', 'auth-network', 'token endpoint unreachable');
    }
    if (!res.ok) {
      const kind = res.status >= 500 || res.status === 429 ? 'retry' : 'dead';
      throw new PartnerError(
        kind,
        `auth-http-${res.status}`,
        `token endpoint answered ${res.status}`,
        res.status,
      );
    }
    const json = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!json.access_token)
      throw new PartnerError('dead', 'auth-invalid', 'token endpoint gave no access_token');
    cached = { value: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 300) * 1000 };
    return `Bearer ${cached.value}`;
  };
  return {
    async header(signal) {
      if (cached && cached.expiresAt - TOKEN_EARLY_REFRESH_MS > Date.now()) return `Bearer ${cached.value}`;
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
