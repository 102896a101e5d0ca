// The BaRS use-case category on onward requests (issue 11 §2): the sender puts the receiving partner's
// use case (else the sending site's) on the onward ServiceRequest, and navbridge's own receiver rule
// (src/intake/bars-message.ts assertUseCase, run on the message as its intake reads it) takes it.
import type { Bundle, ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { isNavbridgeError, type NavbridgeError } from '../../../src/errors/index.js';
import {
  assertBarsVersion,
  assertUseCase,
  type BarsSite,
  readInbound,
  USE_CASE_SYSTEM,
} from '../../../src/intake/index.js';
import { BARS_CORE_VERSION } from '../../../src/intake/message-definitions.js';
import { BARS_SITE, barsOnwardRequest, ONWARD } from './bars-fixtures.js';

/** The onward service as a navbridge receiver would configure it (its DoS id is ONWARD's). */
const receiver = (useCaseCategories: string[]): BarsSite => ({
  id: 'onward-service',
  odsCode: 'RGD',
  dosServiceIds: [ONWARD.dosServiceId ?? ''],
  useCaseCategories,
});

const useCases = (message: Bundle) => {
  const sr = message.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')
    ?.resource as ServiceRequest;
  return (sr.category ?? []).flatMap((c) =>
    (c.coding ?? []).filter((x) => x.system === USE_CASE_SYSTEM).map((x) => x.code),
  );
};

/** The receiver's answer to the message: accepted, or the refusal's status and path. */
function received(message: Bundle, site: BarsSite) {
  const { envelope } = readInbound('message', structuredClone(message));
  try {
    assertUseCase(envelope, site);
    return 'accepted';
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    const e = err as NavbridgeError;
    return `${e.status} ${e.outcome.issue[0]?.expression?.[0]}`;
  }
}

describe('BaRS use-case category on an onward servicerequest-request', () => {
  it("carries the receiving partner's configured use case, which a receiver taking it accepts", async () => {
    const message = await barsOnwardRequest({}, { partner: { ...ONWARD, useCaseCategory: 'a4t3' } });
    expect(useCases(message)).toEqual(['a4t3']);
    expect(received(message, receiver(['a4t3']))).toBe('accepted');
    // The rule does check: a receiver that takes another use case refuses the same message.
    expect(received(message, receiver(['a1']))).toBe('422 ServiceRequest.category');
  });

  it('names the BaRS version it follows (Bundle.meta.versionId), which a BaRS receiver requires', async () => {
    const message = await barsOnwardRequest({}, { partner: { ...ONWARD, useCaseCategory: 'a4t3' } });
    expect(message.meta?.versionId).toBe(BARS_CORE_VERSION);
    expect(() => assertBarsVersion(message)).not.toThrow();
    // The check does check: the same message without it is refused.
    const { meta: _meta, ...unversioned } = message;
    expect(() => assertBarsVersion(unversioned as Bundle)).toThrow(/Bundle.meta.versionId/);
  });

  it("defaults to the sending site's first use case when the partner names none", async () => {
    const site = { ...BARS_SITE, useCaseCategories: ['a4t3', 'b2'] };
    const message = await barsOnwardRequest({}, { site });
    expect(useCases(message)).toEqual(['a4t3']);
    expect(received(message, receiver(['a4t3']))).toBe('accepted');
  });

  it("prefers the partner's use case to the site's", async () => {
    const site = { ...BARS_SITE, useCaseCategories: ['a4t3'] };
    const message = await barsOnwardRequest({}, { site, partner: { ...ONWARD, useCaseCategory: 'b2' } });
    expect(useCases(message)).toEqual(['b2']);
  });

  it('carries none when neither is configured (as BaRS 1.0–1.4 senders), which receivers accept', async () => {
    const message = await barsOnwardRequest();
    expect(BARS_SITE.useCaseCategories).toEqual([]);
    expect(useCases(message)).toEqual([]);
    expect(received(message, receiver(['a4t3']))).toBe('accepted');
  });

  it('keeps the BaRS referral category beside it', async () => {
    const message = await barsOnwardRequest({}, { partner: { ...ONWARD, useCaseCategory: 'a4t3' } });
    const sr = message.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')
      ?.resource as ServiceRequest;
    expect(sr.category?.flatMap((c) => c.coding?.map((x) => `${x.system}|${x.code}`))).toEqual([
      'https://fhir.nhs.uk/CodeSystem/message-category-servicerequest|referral',
      `${USE_CASE_SYSTEM}|a4t3`,
    ]);
  });
});
