// `navbridge hash-key`: the SHA-256 hex digest of a navigator API key read on stdin, for `apiKeys[].sha256`
// in the configuration (the key itself is never stored). Read from stdin so it stays out of shell history.
import { createHash } from 'node:crypto';
import { type CliIo, EXIT, UsageError } from './io.js';

export const API_KEY_MIN_LENGTH = 16;

export async function runHashKey(args: string[], io: CliIo): Promise<number> {
  if (args.length) throw new UsageError('usage: echo -n "$KEY" | navbridge hash-key (the key on stdin)');
  if (!io.stdin) throw new UsageError('hash-key reads the key on stdin');
  const chunks: Buffer[] = [];
  for await (const c of io.stdin)
    chunks.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
  // One trailing newline (from echo or a file) is not part of the key.
  const key = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (key.length < API_KEY_MIN_LENGTH)
    throw new UsageError(`the key on stdin must be at least ${API_KEY_MIN_LENGTH} characters`, [
      'generate one with: openssl rand -base64 32',
    ]);
  io.stdout.write(`${createHash('sha256').update(key, 'utf8').digest('hex')}\n`);
  return EXIT.ok;
}
