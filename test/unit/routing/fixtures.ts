// Partners and mapped Bundles for routing and delivery-form tests: goldens from mappings/*/examples and
// a referral mapped through the shipped mapping.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4.js';
import { type PartnerConfig, partnerSchema } from '../../../src/settings/app-config.js';
import { recordFixture } from '../../support/fixtures.js';
import { mapWith } from '../mappings-content/helpers.js';

const MAPPINGS = path.resolve(import.meta.dirname, '../../../mappings');

export function golden(recordType: string, name: string): Bundle {
  return JSON.parse(
    readFileSync(path.join(MAPPINGS, recordType, 'examples', `${name}.expected.json`), 'utf8'),
  );
}

export function goldenInput<T = Record<string, unknown>>(recordType: string, name: string): T {
  return JSON.parse(readFileSync(path.join(MAPPINGS, recordType, 'examples', `${name}.input.json`), 'utf8'));
}

/** The referral fixture mapped by the shipped referral mapping (accepted at triage). */
export async function referralBundle(patch: Record<string, unknown> = {}): Promise<Bundle> {
  // The content-test site of mapWith, not the fixture's.
  const { site: _site, ...input } = { ...recordFixture('referral'), ...patch };
  return mapWith('referral', input, { triage: { outcome: 'accept' } });
}

export function partner(
  id: string,
  fields: Partial<Omit<PartnerConfig, 'id'>> & Pick<PartnerConfig, 'kind' | 'receives'>,
): PartnerConfig {
  return partnerSchema.parse({
    id,
    name: `Partner ${id}`,
    baseUrl: `https://${id}.example.org/fhir`,
    mode: 'transaction',
    ...fields,
  });
}

export const typesOf = (rs: readonly Resource[]): string[] => rs.map((r) => r.resourceType);
