// Shared fixtures for mapping engine tests: a site and a small in-memory mapping.

import {
  compileMapping,
  type MappingContext,
  type SandboxLimits,
  type SourceFile,
} from '../../../src/mapping/index.js';
import { type SiteSettings, siteSettingsSchema } from '../../../src/settings/site.js';

export const SITE: SiteSettings = siteSettingsSchema.parse({
  id: 'test-site',
  name: 'Test navigator service',
  nation: 'england',
  odsCode: 'TST01',
  identifierNamespace: 'https://id.example.org/test-site',
  assessmentTool: 'hna',
  crisisPathway: { text: 'Call the crisis line.', contacts: [{ name: 'Samaritans', phone: '116 123' }] },
});

export const NOW = '2026-03-02T09:00:00Z';
export const context = (extra: Partial<MappingContext> = {}): MappingContext => ({
  now: NOW,
  site: SITE,
  ...extra,
});

export const TABLES: SourceFile = {
  file: 'mappings/code-tables.yaml',
  data: {
    tables: {
      'need-domain': {
        system: 'need-domain',
        codes: { accommodation: { display: 'Accommodation' }, benefits: { display: 'Benefits' } },
      },
    },
  },
};

export function compile(
  resources: unknown[],
  extra: { override?: unknown[]; siteTables?: unknown; limits?: SandboxLimits } = {},
) {
  return compileMapping({
    mapping: { file: 'mappings/test/mapping.yaml', data: { recordType: 'event', resources } },
    ...(extra.override
      ? {
          override: {
            file: 'mappings/sites/test-site/event.yaml',
            data: { recordType: 'event', resources: extra.override },
          },
        }
      : {}),
    codeTables: [
      TABLES,
      ...(extra.siteTables
        ? [{ file: 'mappings/sites/test-site/code-tables.yaml', data: extra.siteTables }]
        : []),
    ],
    ...(extra.limits ? { limits: extra.limits } : {}),
  });
}

export const record = (fields: Record<string, unknown> = {}) => ({
  id: 'rec-1',
  site: 'test-site',
  version: 1,
  ...fields,
});
