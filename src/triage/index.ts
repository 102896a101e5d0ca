// Triage rules for a schema-valid referral (issue 2 §3), and how events move a held referral on.
// Pure: the site's catchment comes in as settings; nothing here reads the clock or the disk.

import type { NavEvent } from '../records/event.js';
import type { Referral } from '../records/referral.js';
import type { SiteSettings } from '../settings/site.js';

export type TriageDecision =
  | { outcome: 'accept' }
  | { outcome: 'hold'; reason: 'consent-to-confirm' }
  | { outcome: 'reject'; reason: 'in-crisis' | 'no-consent' | 'out-of-area' };

/** Outward code of a UK postcode ("ls6 1aa", "LS61AA" → "LS6"); undefined when it is not one. */
export function postcodeDistrict(postcode: string): string | undefined {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  const m = /^([A-Z]{1,2}[0-9][0-9A-Z]?)[0-9][A-Z]{2}$/.exec(compact);
  return m?.[1];
}

export type CatchmentVerdict = 'in-area' | 'out-of-area' | 'unknown';

/**
 * Catchment rule. A site with no criteria covers everyone. Otherwise a criterion can be judged only
 * when the site configures it AND the referral carries the matching datum (GP practice ODS code,
 * postcode). The person is in area when any judgeable criterion matches, out of area when at least
 * one can be judged and none matches. When none can be judged (say, no GP and no postcode given, or
 * only a GP given to a postcode-only site) the verdict is 'unknown': triage accepts and the navigator
 * judges, because turning people away on missing data would fail them, and a hold is reserved for
 * consent.
 */
export function catchmentVerdict(referral: Referral, site: SiteSettings): CatchmentVerdict {
  const { gpPractices, postcodeDistricts } = site.catchment;
  if (gpPractices.length === 0 && postcodeDistricts.length === 0) return 'in-area';
  const results: boolean[] = [];
  const gp = referral.person.gpPracticeOds;
  if (gp !== undefined && gpPractices.length > 0) results.push(gpPractices.includes(gp.toUpperCase()));
  const postcode = referral.person.address?.postcode;
  const district = postcode === undefined ? undefined : postcodeDistrict(postcode);
  if (district !== undefined && postcodeDistricts.length > 0) {
    results.push(postcodeDistricts.some((d) => d.toUpperCase() === district));
  }
  if (results.length === 0) return 'unknown';
  return results.some(Boolean) ? 'in-area' : 'out-of-area';
}

/**
 * Precedence: reject in-crisis (the answer points to the site's crisis pathway) > reject no-consent
 * (consent explicitly refused) > reject out-of-area > hold consent-to-confirm (consent not known) > accept.
 */
export function triageReferral(referral: Referral, site: SiteSettings): TriageDecision {
  if (referral.risks.inCrisis) return { outcome: 'reject', reason: 'in-crisis' };
  if (referral.consentToRefer === false) return { outcome: 'reject', reason: 'no-consent' };
  if (catchmentVerdict(referral, site) === 'out-of-area') return { outcome: 'reject', reason: 'out-of-area' };
  if (referral.consentToRefer === undefined) return { outcome: 'hold', reason: 'consent-to-confirm' };
  return { outcome: 'accept' };
}

export type ConsentEventEffect = 'confirms' | 'refuses' | 'none';

/**
 * What an event does to a referral held for consent: `contacted` with consentConfirmed true lifts the
 * hold, false rejects it as no-consent; anything else (contact-attempted included) leaves it on hold.
 */
export function consentEventEffect(event: NavEvent): ConsentEventEffect {
  if (event.type !== 'contacted' || event.consentConfirmed === undefined) return 'none';
  return event.consentConfirmed ? 'confirms' : 'refuses';
}
