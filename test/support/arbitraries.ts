// fast-check arbitraries producing schema-valid navbridge records (all rules pass at ARB_NOW), with
// Unicode names and text, valid NHS/CHI/H&C numbers and past dates: for property tests everywhere.
import fc from 'fast-check';
import type { Assessment } from '../../src/records/assessment.js';
import { ASSESSMENT_TOOLS, type ToolItem } from '../../src/records/assessment-tools.js';
import {
  COMMUNICATION_NEEDS,
  CONTACT_METHODS,
  DIAGNOSES,
  DISCHARGE_REASONS,
  GOAL_DOMAINS,
  GOAL_STATUSES,
  NEED_DOMAINS,
  ONWARD_SERVICE_TYPES,
  OUTCOME_MEASURES,
  PLAN_STATUSES,
  PREFERRED_CONTACT_METHODS,
  PRIORITIES,
  RECORD_TYPES,
  REJECTION_REASONS,
  ROUTES,
  STEP_OWNERS,
} from '../../src/records/codes.js';
import { londonDate } from '../../src/records/dates.js';
import type { NavEvent } from '../../src/records/event.js';
import { withCheckDigit } from '../../src/records/identifiers.js';
import { MEASURES } from '../../src/records/outcome-measures.js';
import type { Referral } from '../../src/records/referral.js';
import type { SupportPlan } from '../../src/records/support-plan.js';

/** Every generated date and instant is before this moment; check records with `now: ARB_NOW`. */
export const ARB_NOW = new Date('2026-01-15T12:00:00Z');

const DAY_MS = 86_400_000;
const LATEST = new Date(ARB_NOW.getTime() - DAY_MS);

export const UNICODE_NAMES = [
  'Siobhán',
  'Llŷr',
  'Zoë',
  'Ñúñez',
  "O'Connor",
  'Åsa',
  'Nguyễn',
  '李小龙',
  'Ffion 🌼',
  'Dafydd',
];

const capped = (max: number, min = 1) =>
  fc
    .string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 40) })
    // FHIR strings need non-whitespace content; the record format refuses blank values.
    .filter((s) => s.length >= Math.max(min, 1) && s.length <= max && /\S/.test(s));
export const arbName = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom(...UNICODE_NAMES), capped(100));
const arbText = (min = 0) =>
  fc.oneof(capped(5000, min), fc.constantFrom('Feels low 🙁; sister Siobhán helps.', 'Llŷr ☕ café'));
export const arbSourceId = (): fc.Arbitrary<string> => fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const arbSite = fc.constantFrom('leeds-north', 'cardiff-vale', 'glasgow-east', 'belfast-south');
const arbVersion = fc.integer({ min: 1, max: 1000 });
const arbOds = fc.stringMatching(/^[A-Z][0-9]{5}$/);
const arbPhone = fc.stringMatching(/^0[0-9]{3} [0-9]{3} [0-9]{4}$/);
const arbEmail = fc.stringMatching(/^[a-z]{1,10}(\.[a-z0-9]{1,8})?@example\.(org|com)$/);
const arbPostcode = fc
  .tuple(
    fc.constantFrom('LS6', 'LS7', 'CF10', 'G31', 'BT9', 'M1'),
    fc.stringMatching(/^[0-9][A-Z]{2}$/),
    fc.boolean(),
  )
  .map(([district, inward, lower]) =>
    lower ? `${district}${inward}`.toLowerCase() : `${district} ${inward}`,
  );

/** An outcome score shaped and ranged as its measure is scored (src/records/outcome-measures.ts). */
function arbOutcome(): fc.Arbitrary<Record<string, unknown>> {
  return fc.constantFrom(...OUTCOME_MEASURES).chain((measure): fc.Arbitrary<Record<string, unknown>> => {
    if (measure === 'other') {
      const score = fc.double({ min: -1000, max: 1000, noNaN: true });
      return fc.record(
        { measure: fc.constant(measure), measureName: arbName(), score },
        { requiredKeys: ['measure', 'score'] },
      );
    }
    const m = MEASURES[measure];
    if (m.total) return fc.record({ measure: fc.constant(measure), score: fc.integer(m.total) });
    const parts = m.parts;
    if (!parts) throw new Error(`measure ${measure} has no shape`);
    const scores = Object.fromEntries(
      parts.list.map((i) => [i.key, fc.integer({ min: parts.min, max: parts.max })]),
    );
    return fc.record({ measure: fc.constant(measure), [parts.field]: fc.record(scores) });
  });
}

/** Ten digits with a valid modulus-11 check digit, in an issued range (4…, 6…, 7…) or the test range 9…. */
export const arbNhsNumber = (): fc.Arbitrary<string> =>
  fc
    .stringMatching(/^[4679][0-9]{8}$/)
    .map(withCheckDigit)
    .filter((v): v is string => v !== undefined);

/** An H&C number (Northern Ireland: 320 000 000–399 999 999) with its check digit. */
const arbHcNumber = (): fc.Arbitrary<string> =>
  fc
    .stringMatching(/^3[2-9][0-9]{7}$/)
    .map(withCheckDigit)
    .filter((v): v is string => v !== undefined);

/** A CHI number for a date of birth (DDMMYY + 3 digits + check digit). */
const arbChiNumber = (birthDate: string) =>
  fc
    .stringMatching(/^[0-9]{3}$/)
    .map((tail) =>
      withCheckDigit(`${birthDate.slice(8, 10)}${birthDate.slice(5, 7)}${birthDate.slice(2, 4)}${tail}`),
    )
    .filter((v): v is string => v !== undefined);

const pastMoment = (min = new Date('1990-01-01T00:00:00Z')) =>
  fc.date({ min, max: LATEST, noInvalidDate: true });
export const arbPastDate = (min = '1900-01-01'): fc.Arbitrary<string> =>
  pastMoment(new Date(`${min}T12:00:00Z`)).map(londonDate);

/** An instant with an offset, written in that offset (navbridge keeps offsets as sent). */
export function formatInstant(at: Date, offsetMinutes: number): string {
  const shifted = new Date(at.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset =
    offsetMinutes === 0
      ? 'Z'
      : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${shifted.toISOString().slice(0, 19)}${offset}`;
}
const arbOffset = fc.constantFrom(0, 60, -300, 330);
const arbInstantAt = (at: Date) => arbOffset.map((o) => formatInstant(at, o));
export const arbPastInstant = (): fc.Arbitrary<string> => pastMoment().chain(arbInstantAt);

const arbIdentifiers = (nhs: string, birthDate: string) =>
  fc
    .subarray([
      fc.constant({ system: 'nhs-number' as const, value: nhs, verified: true }),
      arbChiNumber(birthDate).map((value) => ({ system: 'chi' as const, value })),
      arbHcNumber().map((value) => ({ system: 'hc-number' as const, value })),
      arbSourceId().map((value) => ({ system: 'local' as const, value })),
    ])
    .chain((list) => fc.tuple(...list));

const arbPerson = fc.tuple(arbPastDate(), arbNhsNumber()).chain(([birthDate, nhs]) =>
  fc.record(
    {
      nhsNumber: fc.constant(nhs),
      identifiers: arbIdentifiers(nhs, birthDate),
      name: fc.record({ given: fc.array(arbName(), { maxLength: 3 }), family: arbName() }),
      birthDate: fc.constant(birthDate),
      phone: arbPhone,
      email: arbEmail,
      address: fc.record(
        { lines: fc.array(arbName(), { maxLength: 3 }), city: arbName(), postcode: arbPostcode },
        { requiredKeys: ['lines'] },
      ),
      preferredContact: fc.constantFrom(...PREFERRED_CONTACT_METHODS),
      safeContact: fc.record({ voicemail: fc.boolean(), letters: fc.boolean(), textMessages: fc.boolean() }),
      communicationNeeds: fc.subarray([...COMMUNICATION_NEEDS]),
      interpreterLanguage: fc.constantFrom(
        'Welsh',
        'Polish',
        'Cymraeg',
        'Gàidhlig',
        'BSL',
        'pa-Arab',
        'Tigrinya',
      ),
      gpPracticeOds: arbOds,
    },
    { requiredKeys: ['name', 'birthDate', 'preferredContact'] },
  ),
);

export function arbReferral(): fc.Arbitrary<Referral> {
  return fc.tuple(pastMoment(), fc.integer({ min: 0, max: 10 })).chain(([received, daysBefore]) =>
    fc.record(
      {
        id: arbSourceId(),
        site: arbSite,
        version: arbVersion,
        referralDate: fc.constant(londonDate(new Date(received.getTime() - daysBefore * DAY_MS))),
        receivedAt: arbInstantAt(received),
        consentToRefer: fc.boolean(),
        referrer: fc.record(
          {
            name: arbName(),
            role: fc.constantFrom('GP', 'Practice nurse', 'Social prescriber', 'CPN'),
            organisation: arbName(),
            odsCode: arbOds,
            phone: arbPhone,
            email: arbEmail,
          },
          { requiredKeys: ['name', 'role', 'organisation'] },
        ),
        route: fc.constantFrom(...ROUTES),
        person: arbPerson,
        reason: arbText(1),
        supportNeeded: fc.subarray([...NEED_DOMAINS]),
        risks: fc.record(
          { toSelf: fc.boolean(), toOthers: fc.boolean(), inCrisis: fc.boolean(), details: arbText() },
          { requiredKeys: ['toSelf', 'toOthers', 'inCrisis'] },
        ),
        previousReferralId: fc.constant('REF-PREVIOUS-1'),
        sharing: fc.record({
          statusUpdates: fc.boolean(),
          withReferrer: fc.boolean(),
          withGp: fc.boolean(),
          withOnwardServices: fc.boolean(),
        }),
      },
      {
        requiredKeys: [
          'id',
          'site',
          'version',
          'referralDate',
          'receivedAt',
          'referrer',
          'route',
          'person',
          'reason',
          'supportNeeded',
          'risks',
        ],
      },
    ),
  ) as fc.Arbitrary<Referral>;
}

function arbAnswer(item: ToolItem): fc.Arbitrary<string | boolean> {
  switch (item.type) {
    case 'boolean':
      return fc.boolean();
    case 'choice':
      return fc.constantFrom(...(item.options ?? []));
    case 'string':
      return capped(200, 0);
    default:
      return arbText();
  }
}

export function arbAssessment(): fc.Arbitrary<Assessment> {
  return fc.constantFrom(ASSESSMENT_TOOLS.hna, ASSESSMENT_TOOLS['wales-recovery-plan']).chain((tool) =>
    fc.record(
      {
        id: arbSourceId(),
        site: arbSite,
        version: arbVersion,
        referralId: arbSourceId(),
        tool: fc.constant(tool.id),
        completedAt: arbPastInstant(),
        navigator: fc.record({ name: arbName(), id: arbSourceId() }, { requiredKeys: ['name'] }),
        consent: fc.record({ confidentialityDiscussed: fc.boolean(), assessmentConsent: fc.boolean() }),
        diagnoses: fc.subarray([...DIAGNOSES]),
        riskFactors: arbText(),
        domains: fc.subarray([...tool.domains]).chain((domains) =>
          fc.tuple(
            ...domains.map((d) =>
              fc.record(
                {
                  domain: fc.constant(d.code),
                  notes: arbText(),
                  needIdentified: fc.boolean(),
                  priority: fc.constantFrom(...PRIORITIES),
                  answers: fc.record(Object.fromEntries(d.items.map((item) => [item.key, arbAnswer(item)])), {
                    requiredKeys: [],
                  }),
                },
                { requiredKeys: ['domain', 'notes', 'needIdentified'] },
              ),
            ),
          ),
        ),
      },
      {
        requiredKeys: [
          'id',
          'site',
          'version',
          'referralId',
          'tool',
          'completedAt',
          'navigator',
          'consent',
          'diagnoses',
          'domains',
        ],
      },
    ),
  ) as fc.Arbitrary<Assessment>;
}

const arbFutureDate = fc
  .integer({ min: 0, max: 400 })
  .map((d) => londonDate(new Date(ARB_NOW.getTime() + d * DAY_MS)));

export function arbSupportPlan(): fc.Arbitrary<SupportPlan> {
  const goal = (i: number) =>
    fc.record(
      {
        id: fc.constant(`G${i + 1}`),
        domain: fc.constantFrom(...GOAL_DOMAINS),
        description: arbText(1),
        targetDate: arbFutureDate,
        status: fc.constantFrom(...GOAL_STATUSES),
        steps: fc.integer({ min: 0, max: 3 }).chain((n) =>
          fc.tuple(
            ...Array.from({ length: n }, (_, j) =>
              fc.record(
                {
                  // Step ids are unique plan-wide.
                  id: fc.constant(`G${i + 1}-S${j + 1}`),
                  description: arbText(1),
                  owner: fc.constantFrom(...STEP_OWNERS),
                  due: arbFutureDate,
                },
                { requiredKeys: ['id', 'description', 'owner'] },
              ),
            ),
          ),
        ),
      },
      { requiredKeys: ['id', 'domain', 'description', 'status', 'steps'] },
    );
  const onward = (i: number) =>
    fc.record({
      id: fc.constant(`OR${i + 1}`),
      service: fc.record(
        { name: arbName(), type: fc.constantFrom(...ONWARD_SERVICE_TYPES), odsCode: arbOds },
        { requiredKeys: ['name', 'type'] },
      ),
      reason: arbText(1),
      date: arbPastDate('2020-01-01'),
    });
  const indexed = <T>(max: number, f: (i: number) => fc.Arbitrary<T>) =>
    fc.integer({ min: 0, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => f(i))));
  return pastMoment().chain((agreed) =>
    fc.record(
      {
        id: arbSourceId(),
        site: arbSite,
        version: arbVersion,
        referralId: arbSourceId(),
        status: fc.constantFrom(...PLAN_STATUSES),
        agreedAt: arbInstantAt(agreed),
        reviewDate: fc
          .integer({ min: 0, max: 200 })
          .map((d) => londonDate(new Date(agreed.getTime() + d * DAY_MS))),
        navigator: fc.record({ name: arbName(), id: arbSourceId() }, { requiredKeys: ['name'] }),
        crisisContacts: fc.constant([{ name: 'Samaritans', phone: '116 123', hours: '24 hours' }]),
        goals: indexed(4, goal),
        onwardReferrals: indexed(2, onward),
      },
      {
        requiredKeys: [
          'id',
          'site',
          'version',
          'referralId',
          'status',
          'agreedAt',
          'navigator',
          'crisisContacts',
          'goals',
          'onwardReferrals',
        ],
      },
    ),
  ) as fc.Arbitrary<SupportPlan>;
}

const eventFields: Record<NavEvent['type'], fc.Arbitrary<Record<string, unknown>>> = {
  accepted: fc.constant({}),
  'contact-attempted': fc.record({ method: fc.constantFrom(...CONTACT_METHODS) }),
  contacted: fc.record(
    { method: fc.constantFrom(...CONTACT_METHODS), consentConfirmed: fc.boolean() },
    { requiredKeys: ['method'] },
  ),
  'assessment-completed': fc.record({ assessmentId: arbSourceId() }, { requiredKeys: [] }),
  'plan-agreed': fc.record({ planId: arbSourceId() }, { requiredKeys: [] }),
  escalated: fc.record({ summary: arbText(1) }),
  'outcome-recorded': arbOutcome(),
  discharged: fc.record(
    { reason: fc.constantFrom(...DISCHARGE_REASONS), summary: arbText(1), letter: arbText(1) },
    { requiredKeys: ['reason', 'summary'] },
  ),
  rejected: fc.record({ reason: fc.constantFrom(...REJECTION_REASONS), detail: arbText() }),
  withdrawn: fc.record({ detail: arbText() }, { requiredKeys: [] }),
  'entered-in-error': fc.record({ recordType: fc.constantFrom(...RECORD_TYPES), recordId: arbSourceId() }),
};

export function arbEvent(type?: NavEvent['type']): fc.Arbitrary<NavEvent> {
  const types = type ? [type] : (Object.keys(eventFields) as NavEvent['type'][]);
  return fc.constantFrom(...types).chain((t) =>
    fc
      .tuple(
        fc.record({
          id: arbSourceId(),
          site: arbSite,
          version: arbVersion,
          referralId: arbSourceId(),
          at: arbPastInstant(),
        }),
        eventFields[t],
      )
      .map(([common, fields]) => ({ ...common, type: t, ...fields })),
  ) as fc.Arbitrary<NavEvent>;
}
