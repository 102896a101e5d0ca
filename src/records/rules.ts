// Structural rules beyond the schema: dates not in the future (judged in Europe/London), ordering,
// identifier check digits, unique ids. They read the raw input defensively, so they run even when the
// schema failed and one check reports every problem at once.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { type IssueType, issue } from '../errors/index.js';
import { resolveLanguage } from '../fhir/languages.js';
import type { RecordType } from './codes.js';
import { isCalendarDate, londonDate, londonDateOfInstant } from './dates.js';
import { hasValidChiDate, isValidModulus11, nhsNumberRange } from './identifiers.js';
import { isoInstant } from './primitives.js';

/** Clocks of partner systems drift: an instant up to this far ahead of `now` is not "in the future". */
export const CLOCK_SKEW_MS = 5 * 60_000;
export const EARLIEST_BIRTH_DATE = '1900-01-01';

export interface RuleOptions {
  now: Date;
  nhsNumberCheck: 'error' | 'warn';
  /** NHS test numbers (999…, and NHS England's other 9… test numbers): accepted unless 'refuse'. */
  testNumbers?: 'allow' | 'refuse';
}

interface Ctx extends RuleOptions {
  today: string;
  issues: OperationOutcomeIssue[];
}

type Key = string | number;

function get(value: unknown, ...keys: Key[]): unknown {
  let v = value;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<Key, unknown>)[k];
  }
  return v;
}
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function fail(ctx: Ctx, path: string, errorCode: string, message: string, code: IssueType = 'value'): void {
  ctx.issues.push(issue({ code, diagnostics: `${path}: ${message}`, expression: path, errorCode }));
}

function pastDate(ctx: Ctx, value: unknown, path: string): void {
  const v = str(value);
  if (v !== undefined && isCalendarDate(v) && v > ctx.today) {
    fail(ctx, path, 'DATE_IN_FUTURE', 'must not be after today (Europe/London)');
  }
}

const instantMs = (value: unknown): number | undefined => {
  const v = str(value);
  return v !== undefined && isoInstant.safeParse(v).success ? Date.parse(v) : undefined;
};

function pastInstant(ctx: Ctx, value: unknown, path: string): void {
  const ms = instantMs(value);
  if (ms !== undefined && ms > ctx.now.getTime() + CLOCK_SKEW_MS) {
    fail(ctx, path, 'INSTANT_IN_FUTURE', 'must not be in the future');
  }
}

/** London date of a valid instant. */
const instantDate = (value: unknown): string | undefined =>
  instantMs(value) === undefined ? undefined : londonDateOfInstant(value as string);

function uniqueValues(ctx: Ctx, items: { value: unknown; path: string }[], errorCode: string, what: string) {
  const seen = new Set<unknown>();
  for (const { value, path } of items) {
    if (typeof value !== 'string') continue;
    if (seen.has(value)) fail(ctx, path, errorCode, `duplicate ${what}`);
    seen.add(value);
  }
}

const codeItems = (input: unknown, path: string, ...keys: Key[]) =>
  list(get(input, ...keys)).map((value, i) => ({ value, path: `${path}[${i}]` }));

/** Why ten digits given as an NHS number are not one (always an error: the number would be sent as NHS). */
const NOT_NHS: Record<string, [string, string]> = {
  chi: ['NHS_NUMBER_IS_CHI', 'is a CHI number (Scotland): give it as an identifier with system chi'],
  hc: [
    'NHS_NUMBER_IS_HC',
    'is an H&C number (Northern Ireland): give it as an identifier with system hc-number',
  ],
  unissued: ['NHS_NUMBER_RANGE', 'is not in a range NHS numbers are issued from (400–499, 600–799 million)'],
};

function rangeRule(ctx: Ctx, v: string, path: string, system: string): void {
  if (system === 'hc-number' && nhsNumberRange(v) !== 'hc')
    fail(ctx, path, 'HC_NUMBER_RANGE', 'H&C numbers are issued from 320 000 000–399 999 999');
  if (system !== 'nhs-number') return;
  const range = nhsNumberRange(v);
  const problem = NOT_NHS[range];
  if (problem) fail(ctx, path, problem[0], problem[1]);
  if (range === 'test' && ctx.testNumbers === 'refuse')
    fail(
      ctx,
      path,
      'NHS_NUMBER_TEST',
      'is a test NHS number, refused at this site (nhsNumberCheck.testNumbers)',
    );
}

function checkDigit(ctx: Ctx, value: unknown, path: string, system: string): void {
  const v = str(value);
  if (v === undefined || !/^[0-9]{10}$/.test(v)) return; // format errors come from the schema
  const severity = ctx.nhsNumberCheck === 'warn' ? 'warning' : 'error';
  const add = (errorCode: string, message: string) =>
    ctx.issues.push(
      issue({ severity, code: 'value', diagnostics: `${path}: ${message}`, expression: path, errorCode }),
    );
  const label = { 'nhs-number': 'NHS', chi: 'CHI', 'hc-number': 'H&C' }[system];
  const rule = { 'nhs-number': 'NHS', chi: 'CHI', 'hc-number': 'HC' }[system];
  if (!label || !rule) return;
  if (!isValidModulus11(v))
    add(`${rule}_NUMBER_CHECK_DIGIT`, `${label} number fails its modulus-11 check digit`);
  if (system === 'chi' && !hasValidChiDate(v)) {
    add('CHI_NUMBER_DATE', 'CHI number must start with a date of birth DDMMYY');
  }
  rangeRule(ctx, v, path, system);
}

function personIdentifiers(ctx: Ctx, person: unknown): void {
  checkDigit(ctx, get(person, 'nhsNumber'), 'person.nhsNumber', 'nhs-number');
  const nhsNumbers = new Set<string>();
  const nhs = str(get(person, 'nhsNumber'));
  if (nhs) nhsNumbers.add(nhs);
  list(get(person, 'identifiers')).forEach((ident, i) => {
    const path = `person.identifiers[${i}].value`;
    const system = str(get(ident, 'system')) ?? '';
    const value = get(ident, 'value');
    checkDigit(ctx, value, path, system);
    if (system === 'nhs-number' && typeof value === 'string') {
      nhsNumbers.add(value);
      // One person has one NHS number: two different ones mean the record mixes up people.
      if (nhsNumbers.size > 1)
        fail(ctx, path, 'NHS_NUMBER_CONFLICT', 'differs from the NHS number given earlier');
    }
  });
}

function referralRules(ctx: Ctx, r: unknown): void {
  pastDate(ctx, get(r, 'referralDate'), 'referralDate');
  pastInstant(ctx, get(r, 'receivedAt'), 'receivedAt');
  const referralDate = str(get(r, 'referralDate'));
  const receivedDate = instantDate(get(r, 'receivedAt'));
  if (referralDate && isCalendarDate(referralDate) && receivedDate && receivedDate < referralDate) {
    fail(
      ctx,
      'receivedAt',
      'RECEIVED_BEFORE_REFERRAL_DATE',
      'must not be before referralDate (Europe/London)',
    );
  }
  const birthDate = get(r, 'person', 'birthDate');
  pastDate(ctx, birthDate, 'person.birthDate');
  if (typeof birthDate === 'string' && isCalendarDate(birthDate) && birthDate < EARLIEST_BIRTH_DATE) {
    fail(ctx, 'person.birthDate', 'BIRTH_DATE_TOO_EARLY', `must not be before ${EARLIEST_BIRTH_DATE}`);
  }
  personIdentifiers(ctx, get(r, 'person'));
  const language = str(get(r, 'person', 'interpreterLanguage'));
  // UK Core binds Patient.communication.language (required): a language must be coded, never text only.
  if (language !== undefined && language.trim() !== '' && !resolveLanguage(language)) {
    fail(
      ctx,
      'person.interpreterLanguage',
      'LANGUAGE_UNKNOWN',
      'must name a language: its English name (e.g. Polish) or a BCP 47 tag (e.g. pl)',
      'code-invalid',
    );
  }
  const previous = get(r, 'previousReferralId');
  if (previous !== undefined && previous === get(r, 'id')) {
    fail(
      ctx,
      'previousReferralId',
      'PREVIOUS_REFERRAL_IS_SELF',
      'must name an earlier referral, not this one',
    );
  }
  uniqueValues(ctx, codeItems(r, 'supportNeeded', 'supportNeeded'), 'DUPLICATE_CODE', 'code');
  uniqueValues(
    ctx,
    codeItems(r, 'person.communicationNeeds', 'person', 'communicationNeeds'),
    'DUPLICATE_CODE',
    'code',
  );
}

function assessmentRules(ctx: Ctx, a: unknown): void {
  pastInstant(ctx, get(a, 'completedAt'), 'completedAt');
  uniqueValues(ctx, codeItems(a, 'diagnoses', 'diagnoses'), 'DUPLICATE_CODE', 'code');
  const domains = list(get(a, 'domains')).map((d, i) => ({
    value: get(d, 'domain'),
    path: `domains[${i}].domain`,
  }));
  uniqueValues(ctx, domains, 'DUPLICATE_CODE', 'domain');
}

function supportPlanRules(ctx: Ctx, p: unknown): void {
  pastInstant(ctx, get(p, 'agreedAt'), 'agreedAt');
  const agreedDate = instantDate(get(p, 'agreedAt'));
  const review = str(get(p, 'reviewDate'));
  if (review && isCalendarDate(review) && agreedDate && review < agreedDate) {
    fail(
      ctx,
      'reviewDate',
      'REVIEW_BEFORE_AGREED',
      'must not be before the date of agreedAt (Europe/London)',
    );
  }
  const goals = list(get(p, 'goals'));
  uniqueValues(
    ctx,
    goals.map((g, i) => ({ value: get(g, 'id'), path: `goals[${i}].id` })),
    'DUPLICATE_ID',
    'goal id',
  );
  // Step ids key FHIR activities across the whole plan, so they are unique plan-wide, not per goal.
  uniqueValues(
    ctx,
    goals.flatMap((g, i) =>
      list(get(g, 'steps')).map((s, j) => ({ value: get(s, 'id'), path: `goals[${i}].steps[${j}].id` })),
    ),
    'DUPLICATE_ID',
    'step id',
  );
  const onward = list(get(p, 'onwardReferrals'));
  uniqueValues(
    ctx,
    onward.map((o, i) => ({ value: get(o, 'id'), path: `onwardReferrals[${i}].id` })),
    'DUPLICATE_ID',
    'onward referral id',
  );
  onward.forEach((o, i) => {
    pastDate(ctx, get(o, 'date'), `onwardReferrals[${i}].date`);
  });
}

function eventRules(ctx: Ctx, e: unknown): void {
  pastInstant(ctx, get(e, 'at'), 'at');
}

const RULES: Record<RecordType, (ctx: Ctx, input: unknown) => void> = {
  referral: referralRules,
  assessment: assessmentRules,
  'support-plan': supportPlanRules,
  event: eventRules,
};

/** Every rule problem of `input` (which need not be schema-valid). */
export function checkRules(type: RecordType, input: unknown, opts: RuleOptions): OperationOutcomeIssue[] {
  const ctx: Ctx = { ...opts, today: londonDate(opts.now), issues: [] };
  RULES[type](ctx, input);
  return ctx.issues;
}
