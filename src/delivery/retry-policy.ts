// What an attempt's failure means for the exchange: retry after a backoff (network, timeout, 408,
// 429, 5xx — at least Retry-After), or dead (other 4xx, an invalid payload, attempts exhausted).
import type { PartnerConfig } from '../settings/app-config.js';
import type { AttemptResult } from '../store/attempt-results.js';
import { backoffMs, failureOutcome, isPartnerError, PartnerError } from './errors.js';

export function failedAttempt(
  err: unknown,
  attemptNo: number,
  retry: PartnerConfig['retry'],
  durationMs: number,
  now = Date.now(),
): Exclude<AttemptResult, { outcome: 'delivered' }> {
  const pe = isPartnerError(err) ? err : new PartnerError('retry', 'internal', 'unexpected delivery failure');
  const exhausted = attemptNo >= retry.maxAttempts;
  const base = {
    error: failureOutcome(pe),
    durationMs,
    ...(pe.httpStatus ? { httpStatus: pe.httpStatus } : {}),
  };
  if (pe.kind === 'retry' && !exhausted) {
    const delay = backoffMs(attemptNo, retry, pe.retryAfterMs);
    return { outcome: 'retry', errorClass: pe.errorClass, retryAt: new Date(now + delay), ...base };
  }
  return {
    outcome: 'dead',
    errorClass: exhausted && pe.kind === 'retry' ? `${pe.errorClass}-retries-exhausted` : pe.errorClass,
    ...base,
  };
}
