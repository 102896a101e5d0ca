// Drives the shipped mappings (mappings/<type>/mapping.yaml + code tables) through the engine with a
// test site and a context built from defaultContext plus per-test fields.
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { loadMapping } from '../../../src/config/mappings.js';
import {
  type CompiledMapping,
  defaultContext,
  type MappingContext,
  mappingContextSchema,
  mapRecord,
  type ReferralIdentity,
} from '../../../src/mapping/index.js';
import { checkRecord } from '../../../src/records/check.js';
import type { RecordType } from '../../../src/records/index.js';
import { type SiteSettings, siteSettingsSchema } from '../../../src/settings/site.js';
import { profileValidator } from '../../support/validator.js';

export const MAPPINGS_DIR = path.resolve(import.meta.dirname, '../../../mappings');
export const NOW = '2026-03-02T09:00:00Z';
export const NHS_NUMBER = { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' };

export const SITE: SiteSettings = siteSettingsSchema.parse({
  id: 'content-test-site',
  name: 'Content test navigation service',
  nation: 'england',
  odsCode: 'CTS01',
  identifierNamespace: 'https://id.example.org/content-test',
  assessmentTool: 'hna',
  crisisPathway: {
    text: 'In a crisis, call the local crisis line.',
    contacts: [{ name: 'Local crisis line', phone: '0800 123 4567', hours: '24 hours' }],
  },
});

const compiled = new Map<RecordType, CompiledMapping>();
export function mappingFor(type: RecordType): CompiledMapping {
  let m = compiled.get(type);
  if (!m) {
    m = loadMapping(MAPPINGS_DIR, type);
    compiled.set(type, m);
  }
  return m;
}

export type ContextPatch = Partial<Omit<MappingContext, 'referral'>> & {
  referral?: Partial<Omit<ReferralIdentity, 'state'>> & { state?: Partial<ReferralIdentity['state']> };
};

/** defaultContext for the record, with `patch` laid over it (referral and its state merged field by field). */
export function contextFor(
  type: RecordType,
  record: { id: string; referralId?: string },
  patch: ContextPatch = {},
): MappingContext {
  const base = defaultContext(type, record, SITE, NOW);
  const { referral, ...rest } = patch;
  const merged = {
    ...base,
    ...rest,
    ...(base.referral
      ? {
          referral: {
            ...base.referral,
            ...referral,
            state: { ...base.referral.state, ...referral?.state },
          },
        }
      : {}),
  };
  return mappingContextSchema.parse(merged);
}

/** Checks the record as the CLI would (so test records stay valid records), then maps it. */
export async function mapWith(
  type: RecordType,
  input: Record<string, unknown>,
  patch: ContextPatch = {},
): Promise<Bundle> {
  const checked = checkRecord(
    type,
    { site: SITE.id, version: 1, ...input },
    { now: new Date(NOW), nhsNumberCheck: 'error' },
  );
  if (!checked.record) {
    throw new Error(`test record is not valid: ${checked.issues.map((i) => i.diagnostics).join('; ')}`);
  }
  const record = checked.record as unknown as {
    id: string;
    site: string;
    version: number;
    referralId?: string;
  };
  return mapRecord(mappingFor(type), record, contextFor(type, record, patch));
}

export const resources = (bundle: Bundle): FhirResource[] =>
  (bundle.entry ?? []).map((e) => e.resource as FhirResource);

export function only<T extends FhirResource['resourceType']>(
  bundle: Bundle,
  type: T,
): Extract<FhirResource, { resourceType: T }>[] {
  return resources(bundle).filter(
    (r): r is Extract<FhirResource, { resourceType: T }> => r.resourceType === type,
  );
}

/** Error issues of validating the Bundle and each entry against its profile (as `path: message`). */
export function validationErrors(bundle: Bundle): string[] {
  return profileValidator()
    .validateBundle(bundle)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${String(i.expression)}: ${i.diagnostics}`);
}
