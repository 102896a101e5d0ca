// Triage outcomes, their precedence, the catchment rule and the consent effect of events.
import { describe, expect, it } from 'vitest';
import type { NavEvent, Referral } from '../../../src/records/index.js';
import { type SiteSettings, siteSettingsSchema } from '../../../src/settings/site.js';
import {
  catchmentVerdict,
  consentEventEffect,
  postcodeDistrict,
  triageReferral,
} from '../../../src/triage/index.js';
import { recordFixture } from '../../support/fixtures.js';

function site(catchment: { gpPractices?: string[]; postcodeDistricts?: string[] } = {}): SiteSettings {
  return siteSettingsSchema.parse({
    id: 'leeds-north',
    name: 'Leeds North Navigators',
    nation: 'england',
    identifierNamespace: 'https://navbridge.example.org/leeds-north',
    assessmentTool: 'hna',
    catchment,
    crisisPathway: {
      text: 'Call the Leeds Crisis Line.',
      contacts: [{ name: 'Leeds Crisis Line', phone: '0800 183 1485' }],
    },
  });
}

/** The fixture referral (GP B86016, postcode LS7 4HA, consent given, not in crisis) with changes. */
function referral(change: (r: Referral) => void = () => {}): Referral {
  const r = recordFixture<Referral>('referral');
  change(r);
  return r;
}

const LEEDS = site({ gpPractices: ['B86016', 'B86001'], postcodeDistricts: ['LS6', 'LS7'] });

describe('triageReferral', () => {
  it('accepts an in-area referral with consent', () => {
    expect(triageReferral(referral(), LEEDS)).toEqual({ outcome: 'accept' });
  });

  it('holds a referral whose consent is not known', () => {
    const r = referral((x) => {
      delete x.consentToRefer;
    });
    expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'hold', reason: 'consent-to-confirm' });
  });

  it('rejects refused consent', () => {
    const r = referral((x) => {
      x.consentToRefer = false;
    });
    expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'reject', reason: 'no-consent' });
  });

  it('rejects out of area', () => {
    const r = referral((x) => {
      x.person.gpPracticeOds = 'Y12345';
      x.person.address = { lines: [], postcode: 'BD1 1AA' };
    });
    expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'reject', reason: 'out-of-area' });
  });

  describe('precedence: in-crisis > no-consent > out-of-area > hold > accept', () => {
    const everything = (x: Referral) => {
      x.risks.inCrisis = true;
      x.consentToRefer = false;
      x.person.gpPracticeOds = 'Y12345';
      x.person.address = { lines: [], postcode: 'BD1 1AA' };
    };
    it('in crisis wins over everything', () => {
      expect(triageReferral(referral(everything), LEEDS)).toEqual({ outcome: 'reject', reason: 'in-crisis' });
    });
    it('refused consent wins over out of area', () => {
      const r = referral((x) => {
        everything(x);
        x.risks.inCrisis = false;
      });
      expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'reject', reason: 'no-consent' });
    });
    it('out of area wins over unknown consent', () => {
      const r = referral((x) => {
        everything(x);
        x.risks.inCrisis = false;
        delete x.consentToRefer;
      });
      expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'reject', reason: 'out-of-area' });
    });
    it('in crisis wins over unknown consent', () => {
      const r = referral((x) => {
        x.risks.inCrisis = true;
        delete x.consentToRefer;
      });
      expect(triageReferral(r, LEEDS)).toEqual({ outcome: 'reject', reason: 'in-crisis' });
    });
  });
});

describe('catchment', () => {
  const withPerson = (gp: string | undefined, postcode: string | undefined) =>
    referral((x) => {
      if (gp === undefined) delete x.person.gpPracticeOds;
      else x.person.gpPracticeOds = gp;
      if (postcode === undefined) delete x.person.address;
      else x.person.address = { lines: [], postcode };
    });

  it.each([
    ['no criteria configured: everyone is in area', site(), 'Y12345', 'BD1 1AA', 'in-area'],
    ['GP in the list', LEEDS, 'B86001', undefined, 'in-area'],
    [
      'postcode district in the list, GP elsewhere (either criterion suffices)',
      LEEDS,
      'Y12345',
      'LS6 2AB',
      'in-area',
    ],
    ['GP in list, postcode elsewhere', LEEDS, 'B86016', 'BD1 1AA', 'in-area'],
    ['lower case, no space', LEEDS, undefined, 'ls61aa', 'in-area'],
    [
      'LS16 is not LS1 or LS6',
      site({ postcodeDistricts: ['LS1', 'LS6'] }),
      undefined,
      'LS16 5AA',
      'out-of-area',
    ],
    ['both known, neither matches', LEEDS, 'Y12345', 'BD1 1AA', 'out-of-area'],
    ['only GP known, not listed', LEEDS, 'Y12345', undefined, 'out-of-area'],
    ['nothing known: the navigator judges', LEEDS, undefined, undefined, 'unknown'],
    [
      'GP known but site lists only postcodes',
      site({ postcodeDistricts: ['LS6'] }),
      'B86016',
      undefined,
      'unknown',
    ],
    [
      'postcode known but site lists only GPs',
      site({ gpPractices: ['B86016'] }),
      undefined,
      'BD1 1AA',
      'unknown',
    ],
  ] as const)('%s', (_name, s, gp, postcode, verdict) => {
    expect(catchmentVerdict(withPerson(gp, postcode), s)).toBe(verdict);
  });

  it('accepts (not holds, not rejects) when nothing about the catchment is known', () => {
    expect(triageReferral(withPerson(undefined, undefined), LEEDS)).toEqual({ outcome: 'accept' });
  });

  it.each([
    ['LS7 4HA', 'LS7'],
    [' ls7  4ha ', 'LS7'],
    ['CF101AA', 'CF10'],
    ['EC1A 1BB', 'EC1A'],
    ['M1 1AE', 'M1'],
    ['BT9 6AA', 'BT9'],
    ['nonsense', undefined],
  ])('postcodeDistrict(%j) = %s', (postcode, district) => {
    expect(postcodeDistrict(postcode)).toBe(district);
  });
});

describe('consentEventEffect', () => {
  const base = { id: 'E1', site: 'leeds-north', version: 1, referralId: 'R1', at: '2025-03-11T13:05:00Z' };
  it.each([
    [{ ...base, type: 'contacted', method: 'phone', consentConfirmed: true }, 'confirms'],
    [{ ...base, type: 'contacted', method: 'phone', consentConfirmed: false }, 'refuses'],
    [{ ...base, type: 'contacted', method: 'phone' }, 'none'],
    [{ ...base, type: 'contact-attempted', method: 'text' }, 'none'],
    [{ ...base, type: 'accepted' }, 'none'],
  ] as [NavEvent, string][])('%j → %s', (event, effect) => {
    expect(consentEventEffect(event)).toBe(effect);
  });
});
