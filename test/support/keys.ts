// Signing keys for tests, made fresh for each run and never stored: key pairs with a key id, their
// public JWKs and JWKS documents, PKCS#8 PEM private keys (what a partner's privateKeyEnv holds), and
// JWTs shaped as SMART Backend Services client assertions (iss = sub = the client id, aud, jti, short exp).
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, exportPKCS8, generateKeyPair, type JWK, SignJWT } from 'jose';

export type SigningAlg = 'RS256' | 'ES256';

export interface SigningKey {
  alg: SigningAlg;
  kid: string;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

/** A new extractable key pair for `alg`, under `kid` (a random one by default). */
export async function signingKey(alg: SigningAlg, kid: string = randomUUID()): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, publicKey, privateKey };
}

/** The key's public half as a JWK with kid, alg and use "sig". */
export async function publicJwk(key: SigningKey): Promise<JWK> {
  return { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: key.alg, use: 'sig' };
}

/** A JWKS document (JSON text) of the keys' public halves, as a JWKS URL or env var serves it. */
export async function jwksJson(...keys: SigningKey[]): Promise<string> {
  return JSON.stringify({ keys: await Promise.all(keys.map(publicJwk)) });
}

/** The private key as PKCS#8 PEM text. */
export function privateKeyPem(key: SigningKey): Promise<string> {
  return exportPKCS8(key.privateKey);
}

export interface AssertionOptions {
  clientId: string;
  audience: string;
  /** The clock the token is issued by (default: now). */
  now?: Date;
  /** Seconds until exp (default 240). */
  expIn?: number;
  /** Claims added or overriding the standard ones. */
  claims?: Record<string, unknown>;
  /** Claims left out (after `claims`). */
  omit?: readonly string[];
}

/** A client assertion JWT signed with `key`: iss = sub = clientId, aud, a fresh jti, iat, exp. */
export function clientAssertion(key: SigningKey, opts: AssertionOptions): Promise<string> {
  const nowS = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const body: Record<string, unknown> = {
    iss: opts.clientId,
    sub: opts.clientId,
    aud: opts.audience,
    jti: randomUUID(),
    iat: nowS,
    exp: nowS + (opts.expIn ?? 240),
    ...opts.claims,
  };
  for (const k of opts.omit ?? []) delete body[k];
  return new SignJWT(body)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}
