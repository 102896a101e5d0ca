// Envelope encryption: what is sealed opens only with its key and in its own column, plaintext written
// before sealing reads as stored, and master keys from the environment are checked without being quoted.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMasterKeys } from '../../../src/settings/env.js';
import { keptOutcome, keptResponse, RESPONSE_KEEP_CHARS } from '../../../src/store/partner-answers.js';
import { isSealed, localKeyProvider, SEALED_MARK, SealingError, Vault } from '../../../src/store/sealing.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const MARKER = 'MARKER-9434765919-Ada-Lovelace';

describe('Vault', () => {
  const vault = new Vault(localKeyProvider({ k1 }, 'k1'));

  it('seals a value into an envelope holding no plaintext and the key id, and opens it', async () => {
    const text = await vault.seal({ name: MARKER, nested: [1, { x: MARKER }] }, 'records.payload');
    expect(text).not.toContain(MARKER);
    const stored = JSON.parse(text!);
    expect(isSealed(stored)).toBe(true);
    expect(stored).toMatchObject({ [SEALED_MARK]: 1, kid: 'k1' });
    expect(await vault.open(stored, 'records.payload')).toEqual({ name: MARKER, nested: [1, { x: MARKER }] });
  });

  it('uses a fresh data key and IV per value: the same value seals differently each time', async () => {
    const a = JSON.parse((await vault.seal(MARKER, 'c'))!);
    const b = JSON.parse((await vault.seal(MARKER, 'c'))!);
    expect(a.ct).not.toBe(b.ct);
    expect(a.wk).not.toBe(b.wk);
  });

  it('reads plaintext written before sealing as stored; null stays null', async () => {
    expect(await vault.open({ resourceType: 'Bundle', id: 'x' }, 'exchanges.payload')).toEqual({
      resourceType: 'Bundle',
      id: 'x',
    });
    expect(await vault.seal(null, 'c')).toBeNull();
    expect(await vault.open(null, 'c')).toBeNull();
  });

  it('refuses a value moved to another column, altered, or sealed by an unknown key', async () => {
    const stored = JSON.parse((await vault.seal({ a: MARKER }, 'records.payload'))!);
    await expect(vault.open(stored, 'exchanges.payload')).rejects.toThrow(SealingError);
    const ct = Buffer.from(stored.ct, 'base64');
    ct[ct.length - 1]! ^= 1;
    await expect(vault.open({ ...stored, ct: ct.toString('base64') }, 'records.payload')).rejects.toThrow(
      SealingError,
    );
    const other = new Vault(localKeyProvider({ k2 }, 'k2'));
    // Under a key this process does not have: the stable 503 error, naming the key id for the log only.
    await expect(other.open(stored, 'records.payload')).rejects.toMatchObject({
      name: 'NavbridgeError',
      code: 'MASTER_KEY_UNAVAILABLE',
      status: 503,
      logDetail: 'master key k1 is not configured',
    });
    await expect(other.open({ ...stored, kid: 'k1\n{"x":1}' }, 'records.payload')).rejects.toMatchObject({
      logDetail: 'master key (malformed id) is not configured',
    });
  });

  it('after a key change, old values still open while new ones use the new key; rotation needs are seen', async () => {
    const old = JSON.parse((await vault.seal(MARKER, 'c'))!);
    const rotated = new Vault(localKeyProvider({ k1, k2 }, 'k2'));
    expect(await rotated.open(old, 'c')).toBe(MARKER);
    const fresh = JSON.parse((await rotated.seal(MARKER, 'c'))!);
    expect(fresh.kid).toBe('k2');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.needsRotation(fresh)).toBe(false);
    expect(rotated.needsRotation({ plaintext: true })).toBe(true);
    expect(rotated.needsRotation(null)).toBe(false);
  });

  it('refuses master keys of the wrong size and an active id that is not given', () => {
    expect(() => localKeyProvider({ k1: randomBytes(16) }, 'k1')).toThrow(/32 bytes/);
    expect(() => localKeyProvider({ k1 }, 'k2')).toThrow(/not given/);
  });
});

describe('parseMasterKeys', () => {
  const names = { keys: 'NAVBRIDGE_MASTER_KEYS', active: 'NAVBRIDGE_MASTER_KEY_ID' };
  const b1 = k1.toString('base64');
  const b2 = k2.toString('base64');

  it('reads id:base64 pairs; a single key is the active one', () => {
    const one = parseMasterKeys(`k1:${b1}`, undefined, names);
    expect(one.problems).toEqual([]);
    expect(one.masterKeys).toEqual({ keys: { k1: b1 }, activeKeyId: 'k1' });
    const two = parseMasterKeys(`k1:${b1}, k2:${b2}`, 'k2', names);
    expect(two.masterKeys?.activeKeyId).toBe('k2');
  });

  it('reports every problem by variable, never quoting a key', () => {
    const missing = parseMasterKeys(undefined, undefined, names);
    expect(missing.problems.map((p) => p.variable)).toEqual(['NAVBRIDGE_MASTER_KEYS']);
    const bad = parseMasterKeys(`k1:${b1.slice(4)},${b2},k1:${b1}`, undefined, names);
    const text = JSON.stringify(bad.problems);
    expect(bad.masterKeys).toBeUndefined();
    expect(text).toMatch(/master key k1: must be 32 bytes/);
    expect(text).toMatch(/master key 2: needs an id/);
    expect(text).not.toContain(b1.slice(8, 20));
    expect(text).not.toContain(b2.slice(8, 20));
    const ambiguous = parseMasterKeys(`k1:${b1},k2:${b2}`, undefined, names);
    expect(ambiguous.problems.map((p) => p.variable)).toEqual(['NAVBRIDGE_MASTER_KEY_ID']);
    const unknown = parseMasterKeys(`k1:${b1}`, 'k9', names);
    expect(unknown.problems[0]?.message).toMatch(/k9: not among/);
  });
});

describe('partner answers as kept', () => {
  it('keeps a short answer whole and cuts a long one to a few KB', () => {
    expect(keptResponse({ duplicate: true })).toEqual({ duplicate: true });
    const long = keptResponse({ body: MARKER.repeat(2_000) }) as { truncated: boolean; text: string };
    expect(long.truncated).toBe(true);
    expect(long.text.length).toBe(RESPONSE_KEEP_CHARS);
  });

  it('shortens a long OperationOutcome, keeping its codes and saying it was cut', () => {
    const oo = keptOutcome({
      resourceType: 'OperationOutcome',
      issue: Array.from({ length: 50 }, () => ({
        severity: 'error' as const,
        code: 'invalid' as const,
        details: { coding: [{ system: 'x', code: 'REC_UNPROCESSABLE_ENTITY' }], text: MARKER.repeat(20) },
        diagnostics: MARKER.repeat(100),
      })),
    });
    expect(JSON.stringify(oo).length).toBeLessThanOrEqual(RESPONSE_KEEP_CHARS + 200);
    expect(oo.issue[0]?.details?.coding?.[0]?.code).toBe('REC_UNPROCESSABLE_ENTITY');
    expect(oo.issue.at(-1)).toMatchObject({ code: 'too-long' });
  });
});
