// navbridge hash-key through main(): the digest a configured apiKeys[].sha256 is compared with.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

async function hashKey(input: string, args: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await main(['hash-key', ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {
      yield Buffer.from(input.slice(0, 5));
      yield input.slice(5);
    })(),
    cwd: process.cwd(),
    env: {},
  });
  return { code, stdout, stderr };
}

describe('navbridge hash-key', () => {
  it('prints the SHA-256 hex of the key on stdin, ignoring one trailing newline', async () => {
    const key = 'site-x-key-0123456789abcdef';
    const expected = createHash('sha256').update(key).digest('hex');
    expect(await hashKey(key)).toEqual({ code: 0, stdout: `${expected}\n`, stderr: '' });
    expect((await hashKey(`${key}\n`)).stdout).toBe(`${expected}\n`);
    expect((await hashKey(`${key}\r\n`)).stdout).toBe(`${expected}\n`);
    // Inner whitespace is part of the key.
    expect((await hashKey(`${key} \n`)).stdout).not.toBe(`${expected}\n`);
  });

  it('refuses a short key or arguments (usage, exit 2) without echoing the key', async () => {
    const short = await hashKey('tiny-secret');
    expect(short.code).toBe(2);
    expect(short.stdout).toBe('');
    expect(short.stderr).toContain('at least 16 characters');
    expect(short.stderr).not.toContain('tiny-secret');
    expect((await hashKey('site-x-key-0123456789abcdef', ['extra'])).code).toBe(2);
  });
});
