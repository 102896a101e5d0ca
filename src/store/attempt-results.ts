// What a delivery attempt's result is and keeps: the outcome the worker records, the codes kept of the
// partner's answer, and the rule for an attempt the partner may still apply (its outcome unknown).
import type { OperationOutcome } from 'fhir/r4.js';

/**
 * Error classes of a failure that happened after the request may have reached the partner: no answer
 * in time, the connection lost after it was made, an unexpected failure while sending (and the same
 * with `-retries-exhausted`). `unreachable` (nothing was sent) and `auth-*` (the token endpoint
 * failed, the partner was never called) are known not to have been applied.
 */
const UNKNOWN_CLASS_PATTERN = '^(timeout|network|internal)(-|$)';
const UNKNOWN_CLASS = new RegExp(UNKNOWN_CLASS_PATTERN);

export type AttemptResult =
  | { outcome: 'delivered'; httpStatus?: number; response?: unknown; durationMs: number }
  | {
      outcome: 'retry';
      httpStatus?: number;
      response?: unknown;
      errorClass: string;
      error: OperationOutcome;
      durationMs: number;
      retryAt: Date;
    }
  | {
      outcome: 'dead';
      httpStatus?: number;
      response?: unknown;
      errorClass: string;
      error: OperationOutcome;
      durationMs: number;
    };

/** One issue of a partner's OperationOutcome as an attempt keeps it: codes only, never its text. */
export interface AttemptIssue {
  severity: string;
  code: string;
  /** details.coding codes, e.g. BaRS `REC_UNPROCESSABLE_ENTITY`. */
  details: string[];
}

const CODE = /^[A-Za-z0-9._-]{1,64}$/;
const safeCode = (v: unknown): string | undefined => (typeof v === 'string' && CODE.test(v) ? v : undefined);

/**
 * What an attempt keeps of the partner's answer: the summary the client made, and for a failure the
 * partner answered, its OperationOutcome's issue codes. Diagnostics and any other text are left out:
 * a partner may quote the patient in them.
 */
export function attemptResponse(result: AttemptResult): unknown {
  if (result.outcome === 'delivered' || result.httpStatus === undefined) return result.response ?? null;
  const issues: AttemptIssue[] = (result.error.issue ?? []).slice(0, 20).map((i) => ({
    severity: safeCode(i.severity) ?? 'error',
    code: safeCode(i.code) ?? 'unknown',
    details: (i.details?.coding ?? []).flatMap((c) => safeCode(c.code) ?? []).slice(0, 10),
  }));
  return { ...(result.response && typeof result.response === 'object' ? result.response : {}), issues };
}

/**
 * Whether the partner may have applied a failed attempt: no HTTP answer came (timeout, connection
 * lost, an unexpected failure while sending). Such an attempt's exchange is never superseded or
 * skipped while its outcome is unknown — in message and document mode nothing at the partner would
 * refuse its late arrival after the person's next exchange.
 */
export function outcomeUnknown(result: Exclude<AttemptResult, { outcome: 'delivered' }>): boolean {
  return result.httpStatus === undefined && UNKNOWN_CLASS.test(result.errorClass);
}

/**
 * The same rule in SQL, for an `exchange_attempts a` row: an attempt a crash left open (`abandoned`),
 * or a failure with no HTTP answer of one of the classes above. One pattern serves both forms (a
 * POSIX and a JavaScript regular expression alike), so the two cannot drift apart.
 */
export const ATTEMPT_OUTCOME_UNKNOWN_SQL = `(a.outcome = 'abandoned' OR (a.outcome IN ('retry', 'dead')
  AND a.http_status IS NULL AND a.error_class ~ '${UNKNOWN_CLASS_PATTERN}'))`;
