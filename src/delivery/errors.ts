// Delivery failures are classified once: retryable (network, timeout, 408, 429, 5xx) or permanent
// (other 4xx, invalid payload). Checked by name, because errors crossing process boundaries lose
// their prototype (as BullMQ does with UnrecoverableError).
import type { OperationOutcome } from 'fhir/r4.js';
import { issue, outcome } from '../errors/index.js';

export type FailureKind = 'retry' | 'dead';

export class PartnerError extends Error {
  override readonly name = 'PartnerError';
  constructor(
    readonly kind: FailureKind,
    /** Stable class recorded with the attempt: `unreachable`, `network`, `timeout`, `http-503`, `http-422`, … */
    readonly errorClass: string,
    message: string,
    readonly httpStatus?: number,
    /** The partner's OperationOutcome (or a navbridge one describing the failure). */
    readonly partnerOutcome?: OperationOutcome,
    /** From Retry-After on 429/503. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function isPartnerError(err: unknown): err is PartnerError {
  return err instanceof Error && err.name === 'PartnerError';
}

export function classifyStatus(status: number): FailureKind {
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'dead';
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** An OperationOutcome describing a failure where the partner gave none. */
export function failureOutcome(err: PartnerError): OperationOutcome {
  if (err.partnerOutcome) return err.partnerOutcome;
  return outcome([
    issue({
      code: err.kind === 'retry' ? 'transient' : 'processing',
      diagnostics: err.message,
      errorCode: err.errorClass,
    }),
  ]);
}

/** Exponential backoff with full jitter, at least Retry-After when the partner gave one. */
export function backoffMs(
  attempt: number,
  policy: { baseDelayMs: number; maxDelayMs: number },
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
