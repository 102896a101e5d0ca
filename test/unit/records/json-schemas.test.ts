// The committed JSON Schemas are what scripts/export-json-schemas.ts would write now.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchema } from '../../../scripts/export-json-schemas.js';
import { RECORD_TYPES } from '../../../src/records/index.js';

describe('schemas/<type>.schema.json', () => {
  it.each(RECORD_TYPES)('%s is up to date (npm run schemas:build)', (type) => {
    const committed = readFileSync(new URL(`../../../schemas/${type}.schema.json`, import.meta.url), 'utf8');
    expect(committed).toBe(renderSchema(type));
  });

  it('is draft 2020-12, rejects unknown fields and leaves defaulted fields optional', () => {
    const referral = JSON.parse(renderSchema('referral'));
    expect(referral.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(referral.additionalProperties).toBe(false);
    expect(referral.required).toContain('site');
    expect(referral.required).not.toContain('sharing');
    expect(referral.properties.sharing.required ?? []).not.toContain('statusUpdates');
    expect(referral.properties.receivedAt.format).toBe('date-time');
  });
});
