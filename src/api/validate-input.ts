// zod at the HTTP trust boundary: every problem at once, with its path, never echoing the input.
import type { z } from 'zod';
import { issue, NavbridgeError } from '../errors/index.js';

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new NavbridgeError(
    'REC_BAD_REQUEST',
    r.error.issues.map((i) => {
      const path = [where, ...i.path.map(String)].join('.');
      return issue({
        code: 'invalid',
        diagnostics: `${path}: ${i.code === 'unrecognized_keys' ? 'unknown field' : i.message}`,
        expression: path,
        errorCode: 'REC_BAD_REQUEST',
      });
    }),
  );
}
