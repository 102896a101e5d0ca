// What the FHIR router needs from the app (dependencies passed in, no globals).
import type { RequestHandler } from 'express';
import type { PartnerConfig } from '../../settings/app-config.js';
import type { Validator } from '../../fhir/validate.js';
import type { CompiledInverseMapping } from '../../intake/index.js';
import type { NavigatorService } from '../../service/submit.js';
import type { Db } from '../../store/db.js';

export interface FhirDeps {
  db: Db;
  service: NavigatorService;
  partners: readonly PartnerConfig[];
  /** Site ids enabled in this navbridge (performer → site). */
  sites: readonly string[];
  /** Inverse mappings by name (src/config/inbound-mappings.ts `inboundMappingCache`). */
  inboundMapping(name: string): CompiledInverseMapping;
  /** navbridge's FHIR base URL (Location headers, CapabilityStatement). */
  publicBaseUrl: string;
  now(): Date;
  /** Authentication for everything but GET /metadata (src/api/auth.ts `authenticate`). */
  authenticate?: RequestHandler;
  /** Maximum body size (express `limit`), default 1mb. */
  bodyLimit?: string;
  /** Validates every inbound resource against base FHIR R4 (structure, required codes, dates). */
  validator?: Validator;
}
