// factsOf: the plain facts kept beside a sealed record (records.facts) are exactly the coded fields the
// KPI report and the watchdog read — every fixture's facts in full — and, for any valid record, none of
// its free text, names, NHS number or date of birth.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factsOf, serviceDigest } from '../../../src/store/record-facts.js';
import { arbAssessment, arbEvent, arbReferral, arbSupportPlan } from '../../support/arbitraries.js';
import { recordFixture } from '../../support/fixtures.js';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('factsOf', () => {
  it('keeps of a referral its route and receivedAt only', () => {
    expect(factsOf('referral', recordFixture('referral'))).toEqual({
      route: 'gp',
      receivedAt: '2025-03-10T14:32:05+00:00',
    });
  });

  it('keeps of each event its type and instant, and only the coded fields its type adds', () => {
    const at = (name: string) => recordFixture(name).at as string;
    const cases: [string, Record<string, unknown>][] = [
      ['event-accepted', {}],
      ['event-assessment-completed', {}],
      ['event-contact-attempted', {}],
      ['event-contacted', { consentConfirmed: true }],
      ['event-contacted-consent-refused', { consentConfirmed: false }],
      ['event-discharged', { reason: 'mutual-agreement' }],
      ['event-discharged-non-engagement', { reason: 'non-engagement' }],
      ['event-rejected', { reason: 'out-of-area' }],
      ['event-withdrawn', {}],
      ['event-escalated', {}],
      ['event-plan-agreed', {}],
      ['event-outcome-recorded', { measure: 'recovery-star', score: 58 }],
      ['event-entered-in-error', { recordType: 'assessment', recordId: 'ASM-0142-1' }],
    ];
    for (const [name, extra] of cases) {
      const e = recordFixture(name);
      expect({ name, facts: factsOf('event', e) }).toEqual({
        name,
        facts: { type: e.type, at: at(name), ...extra },
      });
    }
    // A measure's free-text name stays sealed: `other` is counted as `other`.
    const other = {
      ...recordFixture('event-outcome-recorded'),
      measure: 'other',
      measureName: 'Our own scale',
    };
    expect(factsOf('event', other)).toEqual({
      type: 'outcome-recorded',
      at: other.at,
      measure: 'other',
      score: 58,
    });
  });

  it('keeps of an assessment its completedAt and each domain code with needIdentified', () => {
    expect(factsOf('assessment', recordFixture('assessment-wales-recovery-plan'))).toEqual({
      completedAt: '2025-04-02T15:40:00+01:00',
      domains: [
        { domain: 'accommodation', needIdentified: false },
        { domain: 'work-occupation', needIdentified: true },
        { domain: 'social-cultural-spiritual', needIdentified: true },
      ],
    });
    expect(factsOf('assessment', { ...recordFixture('assessment-hna'), domains: [] })).toEqual({
      completedAt: '2025-03-20T11:15:00+00:00',
      domains: [],
    });
  });

  it("keeps of a plan its agreedAt and each onward referral's id, type and a digest of the service", () => {
    expect(factsOf('support-plan', recordFixture('support-plan'))).toEqual({
      agreedAt: '2025-03-27T10:05:00+00:00',
      onward: [{ id: 'OR1', type: 'debt-advice', service: sha('citizens advice leeds|debt-advice') }],
    });
    expect(serviceDigest('CITIZENS Advice Leeds', 'debt-advice')).toBe(
      serviceDigest('citizens advice leeds', 'debt-advice'),
    );
  });

  it('has no facts for what is not a record', () => {
    expect(factsOf('referral', null)).toBeNull();
    expect(factsOf('referral', [1])).toBeNull();
    expect(factsOf('unknown', recordFixture('referral'))).toBeNull();
  });

  it('never carries a string of the record other than codes, instants and ids (any valid record)', () => {
    /** Every string of a value, with the member name it sits under. */
    const strings = (v: unknown, key = ''): [string, string][] =>
      typeof v === 'string'
        ? [[key, v]]
        : Array.isArray(v)
          ? v.flatMap((x) => strings(x, key))
          : typeof v === 'object' && v !== null
            ? Object.entries(v).flatMap(([k, x]) => strings(x, k))
            : [];
    /** What facts may repeat of a record, by type: codes, instants and the ids the report joins on. */
    const ALLOWED: Record<string, ReadonlySet<string>> = {
      referral: new Set(['route', 'receivedAt']),
      event: new Set(['type', 'at', 'reason', 'measure', 'recordType', 'recordId']),
      assessment: new Set(['completedAt', 'domain']),
      'support-plan': new Set(['agreedAt', 'id', 'type']),
    };
    const arb = fc.oneof(
      arbReferral().map((r) => ['referral', r] as const),
      arbEvent().map((r) => ['event', r] as const),
      arbAssessment().map((r) => ['assessment', r] as const),
      arbSupportPlan().map((r) => ['support-plan', r] as const),
    );
    fc.assert(
      fc.property(arb, ([type, record]) => {
        const facts = factsOf(type, record);
        const members = ALLOWED[type]!;
        expect(facts).not.toBeNull();
        // What the record holds under the allowed members: codes, instants, ids.
        const allowed = new Set(
          strings(record)
            .filter(([key]) => members.has(key))
            .map(([, s]) => s),
        );
        // Every string the facts hold is one of those (or a service digest): no name, NHS number, date
        // of birth or free text of the record can be among them.
        for (const [key, s] of strings(facts))
          expect({
            key,
            ok: key === 'service' ? /^[0-9a-f]{64}$/.test(s) : members.has(key) && allowed.has(s),
          }).toEqual({
            key,
            ok: true,
          });
      }),
      { numRuns: 300 },
    );
  });
});
