// Encryption at rest: AES-256-GCM envelope encryption of every stored value that can hold patient
// data. Each value gets its own random data key; the data key is wrapped by a master key that a
// `KeyProvider` holds (keys from the environment today, a KMS later), and the wrapping key's id is kept
// in the envelope, so rotation finds what an old key sealed and reads keep working during it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { masterKeyUnavailable } from '../errors/index.js';

/** Where master keys live: wraps and unwraps data keys; never hands out a master key. */
export interface KeyProvider {
  /** The key new values are sealed with. */
  readonly activeKeyId: string;
  /** Whether it can unwrap data keys wrapped by this key id. */
  hasKey(keyId: string): boolean;
  wrap(dataKey: Buffer): Promise<{ keyId: string; wrapped: Buffer }>;
  unwrap(keyId: string, wrapped: Buffer): Promise<Buffer>;
}

/** The marker member of a sealed value: no navbridge record or FHIR resource has a member of this name. */
export const SEALED_MARK = 'nb:sealed';
export const SEALED_VERSION = 1;

/** How a sealed value is stored (jsonb, so legacy plaintext rows and sealed rows share a column). */
export interface SealedValue {
  [SEALED_MARK]: typeof SEALED_VERSION;
  /** The master key that wrapped the data key. */
  kid: string;
  /** The wrapped data key: iv(12) | tag(16) | ciphertext(32), base64. */
  wk: string;
  /** iv(12) | tag(16) | ciphertext of the JSON text, base64. */
  ct: string;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** AES-256: a master key and a data key are 32 bytes. */
export const KEY_BYTES = 32;

export class SealingError extends Error {
  override readonly name = 'SealingError';
}

function encrypt(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

function decrypt(key: Buffer, box: Buffer, aad: string): Buffer {
  if (box.length < IV_BYTES + TAG_BYTES) throw new SealingError('sealed value too short');
  const decipher = createDecipheriv(ALGORITHM, key, box.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(box.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    // GCM authentication failed: a wrong key, or a value altered or moved to another column.
    throw new SealingError('sealed value could not be authenticated');
  }
}

/** Master keys given as bytes by id (from the environment): wraps with AES-256-GCM, the key id as AAD. */
export function localKeyProvider(keys: Readonly<Record<string, Buffer>>, activeKeyId: string): KeyProvider {
  const table = new Map(Object.entries(keys));
  for (const [id, key] of table)
    if (key.length !== KEY_BYTES) throw new SealingError(`master key ${id}: must be ${KEY_BYTES} bytes`);
  if (!table.has(activeKeyId)) throw new SealingError(`the active master key ${activeKeyId} is not given`);
  return {
    activeKeyId,
    hasKey: (id) => table.has(id),
    async wrap(dataKey) {
      const key = table.get(activeKeyId)!;
      return { keyId: activeKeyId, wrapped: encrypt(key, dataKey, `navbridge-dk|${activeKeyId}`) };
    },
    async unwrap(keyId, wrapped) {
      const key = table.get(keyId);
      if (!key) throw new SealingError(`master key ${keyId} is not configured`);
      return decrypt(key, wrapped, `navbridge-dk|${keyId}`);
    },
  };
}

/** Whether a stored column value is a sealed envelope (otherwise: plaintext written before sealing). */
export function isSealed(stored: unknown): stored is SealedValue {
  return (
    typeof stored === 'object' &&
    stored !== null &&
    !Array.isArray(stored) &&
    (stored as Record<string, unknown>)[SEALED_MARK] === SEALED_VERSION
  );
}

/**
 * Seals and opens values for one store. `context` names the column (e.g. `exchanges.payload`): it is
 * authenticated with the value, so a sealed value copied into another column does not open there.
 */
export class Vault {
  constructor(readonly keys: KeyProvider) {}

  /** The JSON text to store: a sealed envelope of `value` (null stays null). */
  async seal(value: unknown, context: string): Promise<string | null> {
    if (value === null || value === undefined) return null;
    const dataKey = randomBytes(KEY_BYTES);
    const { keyId, wrapped } = await this.keys.wrap(dataKey);
    const ct = encrypt(dataKey, Buffer.from(JSON.stringify(value), 'utf8'), `navbridge|${context}`);
    dataKey.fill(0);
    const sealed: SealedValue = {
      [SEALED_MARK]: SEALED_VERSION,
      kid: keyId,
      wk: wrapped.toString('base64'),
      ct: ct.toString('base64'),
    };
    return JSON.stringify(sealed);
  }

  /** The value of a stored column: opened when sealed, as stored when written before sealing. */
  async open<T = unknown>(stored: unknown, context: string): Promise<T> {
    if (!isSealed(stored)) return stored as T;
    // A key retired too early (or not given to this process): a stable 503, not an internal error.
    if (!this.keys.hasKey(stored.kid)) throw masterKeyUnavailable(String(stored.kid));
    const dataKey = await this.keys.unwrap(stored.kid, Buffer.from(stored.wk, 'base64'));
    try {
      const plain = decrypt(dataKey, Buffer.from(stored.ct, 'base64'), `navbridge|${context}`);
      return JSON.parse(plain.toString('utf8')) as T;
    } finally {
      dataKey.fill(0);
    }
  }

  /** Whether a stored value must be (re)sealed by rotation: plaintext, or sealed by another key. */
  needsRotation(stored: unknown): boolean {
    if (stored === null || stored === undefined) return false;
    return !isSealed(stored) || stored.kid !== this.keys.activeKeyId;
  }
}
