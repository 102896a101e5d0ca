// A bounded number of intake requests in flight per API process. Past the bound a request is refused
// at once — 503 SERVICE_UNAVAILABLE with Retry-After (an OperationOutcome, as every error here) — before
// authentication or body parsing spend anything on it: overload is answered, not queued until callers
// time out and the PostgreSQL pool's checkouts fail.
import type { RequestHandler } from 'express';
import { unavailable } from '../errors/index.js';

/** Counts POSTs from arrival until their response is finished (or the connection is gone). */
export function intakeLimit(maxInFlight: number): RequestHandler {
  let inFlight = 0;
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    if (inFlight >= maxInFlight) {
      return next(unavailable('navbridge is at capacity: try again after Retry-After seconds'));
    }
    inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight--;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}
