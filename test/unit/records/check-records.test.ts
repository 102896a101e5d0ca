// Structural rules of assessment, support-plan and event records.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRecord, EVENT_TYPES, type RecordType } from '../../../src/records/index.js';
import { RECORD_FIXTURES_DIR, recordFixture } from '../../support/fixtures.js';
import { errorCodeOf, expectNoEcho, issueAt, OPTS } from './helpers.js';

const typeOfFixture = (name: string): RecordType =>
  name.startsWith('event-') ? 'event' : name.startsWith('assessment-') ? 'assessment' : (name as RecordType);

describe('fixtures', () => {
  const names = readdirSync(RECORD_FIXTURES_DIR).map((f) => f.replace(/\.json$/, ''));

  it.each(names)('%s is valid', (name) => {
    const input = recordFixture(name);
    const { record, issues } = checkRecord(typeOfFixture(name), input, OPTS);
    expect(issues).toEqual([]);
    expect(record).toEqual(input);
  });

  it('cover every event type and both assessment tools', () => {
    const eventTypes = new Set(names.filter((n) => n.startsWith('event-')).map((n) => recordFixture(n).type));
    expect([...eventTypes].sort()).toEqual([...EVENT_TYPES].sort());
    expect(names).toEqual(expect.arrayContaining(['assessment-hna', 'assessment-wales-recovery-plan']));
  });
});

describe('checkRecord(assessment)', () => {
  it("rejects a domain from the other tool, and answers that are not the domain's items", () => {
    const input = recordFixture('assessment-hna');
    input.domains[0].domain = 'work-occupation';
    input.domains[1].answers = {
      'receiving-all-eligible': 'sometimes',
      grants: 'yes',
      'favourite-biscuit': 'hobnob',
    };
    input.domains[2].priority = 'urgent';
    input.diagnoses = ['depression', 'grumpiness'];
    const { record, issues } = checkRecord('assessment', input, OPTS);
    expect(record).toBeUndefined();
    expect(issueAt(issues, 'domains[0].domain').code).toBe('value');
    expect(issueAt(issues, 'domains[1].answers.receiving-all-eligible').code).toBe('value');
    expect(issueAt(issues, 'domains[1].answers.grants').code).toBe('invalid');
    expect(issueAt(issues, 'domains[1].answers.favourite-biscuit').code).toBe('structure');
    expect(issueAt(issues, 'domains[2].priority').code).toBe('value');
    expect(issueAt(issues, 'diagnoses[1]').code).toBe('value');
    expectNoEcho(issues, 'sometimes', 'hobnob', 'urgent', 'grumpiness');
  });

  it('checks Wales Recovery Plan answers against its areas', () => {
    const input = recordFixture('assessment-wales-recovery-plan');
    input.domains[0].answers = { 'where-i-am-now': 'ok', 'housing-needs': 'x' };
    input.domains[1].domain = 'benefits';
    const { issues } = checkRecord('assessment', input, OPTS);
    expect(issueAt(issues, 'domains[0].answers.housing-needs').code).toBe('structure');
    expect(issueAt(issues, 'domains[1].domain').code).toBe('value');
  });

  it('rejects a domain assessed twice and a future completedAt', () => {
    const input = recordFixture('assessment-hna');
    input.domains[1].domain = 'accommodation';
    input.domains[1].answers = {};
    input.completedAt = '2026-02-01T09:00:00Z';
    const { issues } = checkRecord('assessment', input, OPTS);
    expect(errorCodeOf(issueAt(issues, 'domains[1].domain'))).toBe('DUPLICATE_CODE');
    expect(errorCodeOf(issueAt(issues, 'completedAt'))).toBe('INSTANT_IN_FUTURE');
  });

  it('still reports the other problems when the tool is unknown', () => {
    const input = recordFixture('assessment-hna');
    input.tool = 'recovery-star';
    input.navigator = { name: '' };
    input.mood = 'sad';
    delete input.referralId;
    const { issues } = checkRecord('assessment', input, OPTS);
    expect(issueAt(issues, 'tool').code).toBe('value');
    expect(issueAt(issues, 'navigator.name').code).toBe('value');
    expect(issueAt(issues, 'referralId').code).toBe('required');
    expect(issueAt(issues, 'mood').code).toBe('structure');
    expectNoEcho(issues, 'recovery-star', 'sad');
  });

  it('reports a missing tool as required', () => {
    const input = recordFixture('assessment-hna');
    delete input.tool;
    expect(issueAt(checkRecord('assessment', input, OPTS).issues, 'tool').code).toBe('required');
  });
});

describe('checkRecord(support-plan)', () => {
  it('rejects duplicate goal, step (plan-wide) and onward-referral ids', () => {
    const input = recordFixture('support-plan');
    input.goals[1].id = 'G1';
    input.goals[1].steps[0].id = 'G1-S2';
    input.onwardReferrals.push({ ...input.onwardReferrals[0] });
    const { record, issues } = checkRecord('support-plan', input, OPTS);
    expect(record).toBeUndefined();
    expect(errorCodeOf(issueAt(issues, 'goals[1].id'))).toBe('DUPLICATE_ID');
    expect(errorCodeOf(issueAt(issues, 'goals[1].steps[0].id'))).toBe('DUPLICATE_ID');
    expect(errorCodeOf(issueAt(issues, 'onwardReferrals[1].id'))).toBe('DUPLICATE_ID');
    expect(issues).toHaveLength(3);
  });

  it('accepts a need domain or a Wales area as a goal domain, nothing else', () => {
    const input = recordFixture('support-plan');
    input.goals[0].domain = 'work-occupation';
    input.goals[1].domain = 'finances';
    expect(checkRecord('support-plan', input, OPTS).issues).toEqual([]);
    input.goals[2].domain = 'happiness';
    expect(issueAt(checkRecord('support-plan', input, OPTS).issues, 'goals[2].domain').code).toBe('value');
  });

  it("rejects a reviewDate before agreedAt's London date", () => {
    const input = recordFixture('support-plan');
    input.agreedAt = '2025-06-01T23:30:00Z'; // 2 June in London
    input.reviewDate = '2025-06-02';
    expect(checkRecord('support-plan', input, OPTS).issues).toEqual([]);
    input.reviewDate = '2025-06-01';
    const i = issueAt(checkRecord('support-plan', input, OPTS).issues, 'reviewDate');
    expect(errorCodeOf(i)).toBe('REVIEW_BEFORE_AGREED');
    expectNoEcho([i], '2025-06-01');
  });

  it('allows future target and due dates but not a future onward referral', () => {
    const input = recordFixture('support-plan');
    input.goals[0].targetDate = '2027-01-01';
    input.goals[0].steps[0].due = '2027-01-01';
    expect(checkRecord('support-plan', input, OPTS).issues).toEqual([]);
    input.onwardReferrals[0].date = '2026-01-16';
    expect(
      errorCodeOf(issueAt(checkRecord('support-plan', input, OPTS).issues, 'onwardReferrals[0].date')),
    ).toBe('DATE_IN_FUTURE');
  });

  it('accepts only capped http(s) URLs for crisis contacts', () => {
    const input = recordFixture('support-plan');
    input.crisisContacts[0].url = 'javascript:alert(1)';
    input.crisisContacts[1].url = `https://example.org/${'a'.repeat(500)}`;
    const { issues } = checkRecord('support-plan', input, OPTS);
    expect(issueAt(issues, 'crisisContacts[0].url').code).toBe('invalid');
    expect(issueAt(issues, 'crisisContacts[1].url').code).toBe('too-long');
    expectNoEcho(issues, 'javascript');
  });

  it('accepts short service numbers for crisis contacts, but not for the person', () => {
    for (const phone of ['111', '999', '116 123', '+44 (0)800-123']) {
      const input = recordFixture('support-plan');
      input.crisisContacts[0].phone = phone;
      expect(checkRecord('support-plan', input, OPTS).issues, phone).toEqual([]);
    }
    for (const phone of ['12', '1 2', '---', '  ', '999#', 'ext 111']) {
      const input = recordFixture('support-plan');
      input.crisisContacts[0].phone = phone;
      const { issues } = checkRecord('support-plan', input, OPTS);
      expect(issueAt(issues, 'crisisContacts[0].phone').code, phone).toBe('invalid');
      expectNoEcho(issues, phone);
    }
    const referral = recordFixture('referral');
    referral.person.phone = '111';
    expect(issueAt(checkRecord('referral', referral, OPTS).issues, 'person.phone').code).toBe('invalid');
  });

  it('uses exact array paths for nested problems', () => {
    const input = recordFixture('support-plan');
    input.goals[0].steps[1].owner = 'mum';
    input.goals[0].steps[1].due = '2025-02-29';
    input.goals[2].steps = [{ id: 'bad id!', description: 'x', owner: 'person' }];
    const { issues } = checkRecord('support-plan', input, OPTS);
    expect(issueAt(issues, 'goals[0].steps[1].owner').code).toBe('value');
    expect(errorCodeOf(issueAt(issues, 'goals[0].steps[1].due'))).toBe('DATE_IMPOSSIBLE');
    expect(issueAt(issues, 'goals[2].steps[0].id').code).toBe('invalid');
    expectNoEcho(issues, 'mum', '2025-02-29', 'bad id!');
  });
});

describe('checkRecord(event)', () => {
  it('checks type-specific fields and rejects fields of other types', () => {
    const input = recordFixture('event-contacted');
    input.method = 'pigeon';
    input.score = 12;
    const { issues } = checkRecord('event', input, OPTS);
    expect(issueAt(issues, 'method').code).toBe('value');
    expect(issueAt(issues, 'score').code).toBe('structure');
  });

  it('requires the fields of its type', () => {
    const input = recordFixture('event-discharged');
    delete input.reason;
    delete input.summary;
    const { issues } = checkRecord('event', input, OPTS);
    expect(issueAt(issues, 'reason').code).toBe('required');
    expect(issueAt(issues, 'summary').code).toBe('required');
  });

  it('still checks the common fields when the type is unknown', () => {
    const input = recordFixture('event-accepted');
    input.type = 'celebrated';
    input.at = '2026-06-01T10:00:00+01:00';
    input.version = 0;
    const { issues } = checkRecord('event', input, OPTS);
    expect(issueAt(issues, 'type').code).toBe('value');
    expect(issueAt(issues, 'version').code).toBe('value');
    expect(errorCodeOf(issueAt(issues, 'at'))).toBe('INSTANT_IN_FUTURE');
    expectNoEcho(issues, 'celebrated');
  });

  it('rejects a non-finite or non-numeric score and an unknown entered-in-error record type', () => {
    const outcome = recordFixture('event-outcome-recorded');
    outcome.score = '58';
    expect(issueAt(checkRecord('event', outcome, OPTS).issues, 'score').code).toBe('invalid');
    const eie = recordFixture('event-entered-in-error');
    eie.recordType = 'patient';
    expect(issueAt(checkRecord('event', eie, OPTS).issues, 'recordType').code).toBe('value');
  });
});
