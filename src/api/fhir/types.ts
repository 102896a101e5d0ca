// What the FHIR router needs from the app (dependencies passed in, no globals).
import type { RequestHandler } from 'express';
import type { Navbridge } from '../../service/navbridge.js';
import type { HttpLimits } from '../../settings/http.js';

export interface FhirDeps {
  navbridge: Navbridge;
  /** navbridge's FHIR base URL (Location headers, CapabilityStatement). */
  publicBaseUrl: string;
  now(): Date;
  /** Authentication for everything but GET /metadata (src/api/auth.ts `authenticate`). */
  authenticate: RequestHandler;
  /** Body limits (default: the `http.limits` defaults). */
  limits?: HttpLimits;
}
