import { describe, expect, it } from 'vitest';
import { resourceId } from '../../../src/fhir/ids.js';
import { contextFileSchema, defaultContext, mappingContextSchema } from '../../../src/mapping/index.js';
import { NOW, SITE } from './helpers.js';

describe('mapping context', () => {
  it('derives the referral identity of a non-referral record from referralId, with deterministic ids', () => {
    const ctx = defaultContext('event', { id: 'EV-1', referralId: 'REF-7' }, SITE, NOW);
    expect(ctx.referral).toEqual({
      id: 'REF-7',
      site: 'test-site',
      patient: { identifiers: [], reference: `Patient/${resourceId('test-site', 'Patient', 'REF-7')}` },
      state: { taskStatus: 'accepted', businessStatus: 'accepted', onHold: false, hasPlan: false },
    });
    expect(mappingContextSchema.safeParse(ctx).success).toBe(true);
  });

  it("takes a referral's own national identifiers, NHS number first and without duplicates", () => {
    const ctx = defaultContext(
      'referral',
      {
        id: 'REF-1',
        person: {
          identifiers: [
            { system: 'chi', value: '1403921237' },
            { system: 'nhs-number', value: '9434765919' },
            { system: 'local', value: 'X1' },
          ],
          nhsNumber: '9434765919',
        },
        referrer: { odsCode: 'B86016' },
      },
      SITE,
      NOW,
    );
    expect(ctx.referral?.patient.identifiers).toEqual([
      { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' },
      { system: 'urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53', value: '1403921237' },
    ]);
    expect(ctx.referral?.requester).toEqual({ odsCode: 'B86016' });
  });

  it('rejects unknown fields, times without offset and a site in a context file', () => {
    expect(mappingContextSchema.safeParse({ now: '2026-03-02T09:00:00', site: SITE }).success).toBe(false);
    expect(mappingContextSchema.safeParse({ now: NOW, site: SITE, extra: 1 }).success).toBe(false);
    expect(contextFileSchema.safeParse({ site: SITE }).success).toBe(false);
    expect(
      contextFileSchema.safeParse({
        triage: { outcome: 'reject', reason: 'no-consent' },
        target: {
          recordType: 'assessment',
          id: 'A1',
          resources: [{ resourceType: 'QuestionnaireResponse' }],
        },
      }).success,
    ).toBe(true);
  });
});
