// The bench's workload: navigator records of a fixed mix, per person in order. Two kinds of person
// alternate, ten records per pair: 2 referrals (20 %), 2 assessments (20 %), 1 support plan with goals
// and an onward referral (10 %), 5 events (50 %).
//   plan person:  referral → assessment → contacted → support-plan → outcome-recorded
//   other person: referral → assessment → contact-attempted → contacted → outcome-recorded
// Built from test/fixtures/records, with fresh ids and NHS numbers; the trust (RGD) is the referrer
// and the onward referral goes to the community service (NQT01), both at the bench's receiver.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HERE, ONWARD, TRUST } from './rig.mjs';

const FIXTURES = path.join(HERE, '..', '..', 'test', 'fixtures', 'records');
const fixture = (name) => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
const T = {
  referral: fixture('referral'),
  assessment: fixture('assessment-hna'),
  plan: fixture('support-plan'),
  attempted: fixture('event-contact-attempted'),
  contacted: fixture('event-contacted'),
  outcome: fixture('event-outcome-recorded'),
};
export const STEPS_PER_PERSON = 5;
export const MIX =
  '20 % referrals, 20 % assessments, 10 % support plans (3 goals, 1 onward referral), 50 % events';

/** An NHS number (modulus 11) from a counter: 9 digits plus the check digit, skipping invalid ones. */
export function nhsNumberOf(n) {
  for (let k = n * 2; ; k++) {
    const nine = String(900_000_000 + (k % 99_999_999)).padStart(9, '0');
    const sum = [...nine].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${nine}${check === 11 ? 0 : check}`;
  }
}

/** The records of person number `n` (run tag `tag`), in the order they are posted. */
export function personRecords(tag, n) {
  const ref = `R-${tag}-${n}`;
  const nhs = nhsNumberOf(n + 1);
  const referral = structuredClone(T.referral);
  referral.id = ref;
  referral.referrer = { ...referral.referrer, odsCode: TRUST.ods };
  referral.person = {
    ...referral.person,
    nhsNumber: nhs,
    identifiers: [{ system: 'nhs-number', value: nhs, verified: true }],
  };
  referral.sharing = { statusUpdates: true, withReferrer: true, withGp: false, withOnwardServices: true };
  const of = (t, id, extra = {}) => ({ ...structuredClone(t), id, referralId: ref, ...extra });
  const assessment = of(T.assessment, `A-${tag}-${n}`);
  const out = [
    { recordType: 'referral', record: referral },
    { recordType: 'assessment', record: assessment },
  ];
  if (n % 2 === 0) {
    const plan = of(T.plan, `P-${tag}-${n}`, { version: 1 });
    plan.onwardReferrals = plan.onwardReferrals.map((o) => ({
      ...o,
      service: { ...o.service, odsCode: ONWARD.ods },
    }));
    out.push(
      { recordType: 'event', record: of(T.contacted, `E-${tag}-${n}-1`) },
      { recordType: 'support-plan', record: plan },
      { recordType: 'event', record: of(T.outcome, `E-${tag}-${n}-2`) },
    );
  } else {
    out.push(
      { recordType: 'event', record: of(T.attempted, `E-${tag}-${n}-1`) },
      { recordType: 'event', record: of(T.contacted, `E-${tag}-${n}-2`) },
      { recordType: 'event', record: of(T.outcome, `E-${tag}-${n}-3`) },
    );
  }
  return out;
}

/** Sample records for the in-process stage costs (one of each kind). */
export const sampleRecords = () => personRecords('stage', 0);
