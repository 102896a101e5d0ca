// A usage or input-file problem (`navbridge map`, goldens, the playground): a one-line message and
// detail lines, never patient data. The CLI exits 2 on it; the playground answers 400.
import type { z } from 'zod';
import { zodIssues } from './zod.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly detail: string[] = [],
  ) {
    super(message);
  }
}

/** A file's zod problems as detail lines of a usage error (the one translator, paths and rules only). */
export function usageDetail(error: z.ZodError): string[] {
  return zodIssues(error.issues, { errorCode: 'REC_BAD_REQUEST' }).map((i) => i.diagnostics ?? '');
}
