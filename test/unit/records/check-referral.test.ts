// Structural rules of the referral record: every problem at once, exact paths, no echoed values.
import { describe, expect, it } from 'vitest';
import { checkRecord, fillSite, type RecordCheckOptions } from '../../../src/records/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { errorCodeOf, expectNoEcho, issueAt, NOW, OPTS } from './helpers.js';

const check = (input: unknown, opts: RecordCheckOptions = OPTS) => checkRecord('referral', input, opts);

describe('checkRecord(referral)', () => {
  it('accepts the fixture and returns it unchanged (Unicode and offsets kept)', () => {
    const input = recordFixture('referral');
    const { record, issues } = check(input);
    expect(issues).toEqual([]);
    expect(record).toEqual(input);
    expect(record?.person.name.given).toContain('Llŷr');
    expect(record?.receivedAt).toBe('2025-03-10T14:32:05+00:00');
  });

  it('defaults sharing.statusUpdates to true and the agreements to false', () => {
    const input = recordFixture('referral');
    input.sharing = { withGp: true };
    expect(check(input).record?.sharing).toEqual({
      statusUpdates: true,
      withReferrer: false,
      withGp: true,
      withOnwardServices: false,
    });
  });

  it('reports every problem at once and produces no record', () => {
    const input = recordFixture('referral');
    input.person.birthDate = '2021-02-30';
    input.person.nhsNumber = '3478526985';
    input.person.identifiers = [{ system: 'chi', value: '3201851234' }];
    input.person.name.family = 'Ó'.repeat(101);
    input.referralDate = '2026-01-16';
    input.route = 'carrier-pigeon';
    input.version = 1.5;
    input.person.name.given = ['Siobhán', 7];
    input.colour = 'blue';
    input.person.favouriteFood = 'bara brith';
    delete input.reason;
    const { record, issues } = check(input);
    expect(record).toBeUndefined();
    const expected: [string, string, string][] = [
      ['person.birthDate', 'value', 'DATE_IMPOSSIBLE'],
      ['person.nhsNumber', 'value', 'NHS_NUMBER_CHECK_DIGIT'],
      ['person.identifiers[0].value', 'value', 'CHI_NUMBER_CHECK_DIGIT'],
      ['person.name.family', 'too-long', 'STRING_TOO_LONG'],
      ['referralDate', 'value', 'DATE_IN_FUTURE'],
      ['route', 'value', 'REC_BAD_REQUEST'],
      ['version', 'invalid', 'REC_BAD_REQUEST'],
      ['person.name.given[1]', 'invalid', 'REC_BAD_REQUEST'],
      ['colour', 'structure', 'REC_BAD_REQUEST'],
      ['person.favouriteFood', 'structure', 'REC_BAD_REQUEST'],
      ['reason', 'required', 'REC_BAD_REQUEST'],
    ];
    for (const [path, code, errorCode] of expected) {
      const i = issueAt(issues, path);
      expect(i.severity).toBe('error');
      expect(i.code).toBe(code);
      expect(errorCodeOf(i)).toBe(errorCode);
      expect(i.diagnostics).toMatch(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `));
    }
    expect(
      issues.filter((i) => i.expression?.[0] === 'person.identifiers[0].value').map(errorCodeOf),
    ).toContain('CHI_NUMBER_DATE');
    expectNoEcho(
      issues,
      '2021-02-30',
      '3478526985',
      '3201851234',
      'ÓÓÓ',
      '2026-01-16',
      'carrier-pigeon',
      'bara brith',
      'blue',
    );
  });

  it('names an unknown field but not its value', () => {
    const input = recordFixture('referral');
    input.risks.weapon = 'kitchen knife';
    const i = issueAt(check(input).issues, 'risks.weapon');
    expect(i.diagnostics).toBe('risks.weapon: unknown field');
  });

  describe('dates and instants (Europe/London)', () => {
    const at = (iso: string) => ({ now: new Date(iso), nhsNumberCheck: 'error' as const });

    it('a referral dated today and entered at 00:30 BST is not in the future', () => {
      const input = recordFixture('referral');
      input.referralDate = '2026-05-02';
      input.receivedAt = '2026-05-02T00:25:00+01:00';
      const { record, issues } = check(input, at('2026-05-01T23:30:00Z'));
      expect(issues).toEqual([]);
      expect(record?.receivedAt).toBe('2026-05-02T00:25:00+01:00');
    });

    it('tomorrow in London is in the future', () => {
      const input = recordFixture('referral');
      input.referralDate = '2026-05-03';
      const issue = issueAt(check(input, at('2026-05-01T23:30:00Z')).issues, 'referralDate');
      expect(errorCodeOf(issue)).toBe('DATE_IN_FUTURE');
    });

    it('rejects an instant in the future, allowing five minutes of clock skew', () => {
      const input = recordFixture('referral');
      input.referralDate = '2026-01-15';
      input.receivedAt = '2026-01-15T12:04:00Z';
      expect(check(input).issues).toEqual([]);
      input.receivedAt = '2026-01-15T13:30:00+01:00'; // 12:30Z
      expect(errorCodeOf(issueAt(check(input).issues, 'receivedAt'))).toBe('INSTANT_IN_FUTURE');
    });

    it('requires an offset or Z on instants', () => {
      const input = recordFixture('referral');
      input.receivedAt = '2025-03-10T14:32:05';
      const i = issueAt(check(input).issues, 'receivedAt');
      expect(i.code).toBe('value');
      expectNoEcho([i], '14:32:05');
    });

    it('rejects receivedAt before referralDate, comparing London dates', () => {
      const input = recordFixture('referral');
      input.referralDate = '2025-06-02';
      input.receivedAt = '2025-06-01T23:30:00Z'; // 00:30 BST on 2 June: same day, fine
      expect(check(input).issues).toEqual([]);
      input.receivedAt = '2025-06-01T22:30:00Z'; // 23:30 BST on 1 June
      expect(errorCodeOf(issueAt(check(input).issues, 'receivedAt'))).toBe('RECEIVED_BEFORE_REFERRAL_DATE');
    });

    it('rejects a birth date in the future or before 1900', () => {
      const input = recordFixture('referral');
      input.person.birthDate = '2026-01-16';
      expect(errorCodeOf(issueAt(check(input).issues, 'person.birthDate'))).toBe('DATE_IN_FUTURE');
      input.person.birthDate = '1899-12-31';
      const i = issueAt(check(input).issues, 'person.birthDate');
      expect(errorCodeOf(i)).toBe('BIRTH_DATE_TOO_EARLY');
      expectNoEcho([i], '1899-12-31');
      input.person.birthDate = '1900-01-01';
      expect(check(input).issues).toEqual([]);
    });
  });

  describe('identifiers', () => {
    it("nhsNumberCheck 'warn' turns check-digit failures into warnings and keeps the record", () => {
      const input = recordFixture('referral');
      input.person.nhsNumber = '3478526985';
      input.person.identifiers = [
        { system: 'nhs-number', value: '3478526985' },
        { system: 'hc-number', value: '3200000016' },
      ];
      const { record, issues } = check(input, { now: NOW, nhsNumberCheck: 'warn' });
      expect(record?.person.nhsNumber).toBe('3478526985');
      expect(issues.map((i) => [i.severity, i.expression?.[0], errorCodeOf(i)])).toEqual([
        ['warning', 'person.nhsNumber', 'NHS_NUMBER_CHECK_DIGIT'],
        ['warning', 'person.identifiers[0].value', 'NHS_NUMBER_CHECK_DIGIT'],
        ['warning', 'person.identifiers[1].value', 'HC_NUMBER_CHECK_DIGIT'],
      ]);
      expectNoEcho(issues, '3478526985', '3200000016');
    });

    it("'warn' does not excuse other errors", () => {
      const input = recordFixture('referral');
      input.person.nhsNumber = '3478526985';
      delete input.person.identifiers;
      input.route = 'nope';
      const { record, issues } = check(input, { now: NOW, nhsNumberCheck: 'warn' });
      expect(record).toBeUndefined();
      expect(issues.map((i) => i.severity).sort()).toEqual(['error', 'warning']);
    });

    it('requires 10 digits, whatever the check setting', () => {
      const input = recordFixture('referral');
      input.person.nhsNumber = '943 476 5919';
      input.person.identifiers = [{ system: 'chi', value: '14038512' }];
      const { issues } = check(input, { now: NOW, nhsNumberCheck: 'warn' });
      expect(issueAt(issues, 'person.nhsNumber').severity).toBe('error');
      expect(issueAt(issues, 'person.identifiers[0].value').severity).toBe('error');
    });

    it('accepts valid CHI and H&C numbers and any local identifier', () => {
      const input = recordFixture('referral');
      input.person.identifiers = [
        { system: 'chi', value: '1403851239' },
        { system: 'hc-number', value: '3200000015' },
        { system: 'local', value: 'MIND-Ø-0042' },
      ];
      expect(check(input).issues).toEqual([]);
    });

    it('rejects two different NHS numbers for one person', () => {
      const input = recordFixture('referral');
      input.person.identifiers = [{ system: 'nhs-number', value: '4857773457' }];
      expect(errorCodeOf(issueAt(check(input).issues, 'person.identifiers[0].value'))).toBe(
        'NHS_NUMBER_CONFLICT',
      );
    });
  });

  it('rejects duplicate codes and a re-referral naming itself', () => {
    const input = recordFixture('referral');
    input.supportNeeded = ['finances', 'benefits', 'finances'];
    input.previousReferralId = input.id;
    const { issues } = check(input);
    expect(errorCodeOf(issueAt(issues, 'supportNeeded[2]'))).toBe('DUPLICATE_CODE');
    expect(errorCodeOf(issueAt(issues, 'previousReferralId'))).toBe('PREVIOUS_REFERRAL_IS_SELF');
  });

  it('caps free text at 5000 characters', () => {
    const input = recordFixture('referral');
    input.reason = 'a'.repeat(5000);
    expect(check(input).issues).toEqual([]);
    input.reason = 'a'.repeat(5001);
    expect(issueAt(check(input).issues, 'reason').code).toBe('too-long');
  });

  it('rejects non-objects without throwing', () => {
    for (const input of [null, 42, 'referral', [], undefined]) {
      const { record, issues } = check(input);
      expect(record).toBeUndefined();
      expect(issues.length).toBeGreaterThan(0);
    }
  });

  it('requires site; fillSite supplies it only where absent', () => {
    const input = recordFixture('referral');
    delete input.site;
    expect(issueAt(check(input).issues, 'site').code).toBe('required');
    expect(check(fillSite(input, 'cardiff-vale')).record?.site).toBe('cardiff-vale');
    expect((fillSite(recordFixture('referral'), 'cardiff-vale') as { site: string }).site).toBe(
      'leeds-north',
    );
    expect(fillSite(null, 'x')).toBeNull();
  });
});
