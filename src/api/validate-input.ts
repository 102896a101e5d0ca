// zod at the HTTP trust boundary: every problem at once, with its path, never echoing the input.
import type { z } from 'zod';
import { badRequest, zodIssues } from '../errors/index.js';

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw badRequest(zodIssues(r.error.issues, { errorCode: 'REC_BAD_REQUEST', root: [where] }));
}
