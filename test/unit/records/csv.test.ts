// CSV input: dotted headers, lists, booleans, numbers, identifiers by index, row numbers, no echo.
import { describe, expect, it } from 'vitest';
import { checkRecord, parseCsvRecords } from '../../../src/records/index.js';
import { MEASURES } from '../../../src/records/outcome-measures.js';
import { errorCodeOf, expectNoEcho, issueAt, OPTS } from './helpers.js';

const REFERRAL_HEADER = [
  'id',
  'site',
  'version',
  'referralDate',
  'receivedAt',
  'consentToRefer',
  'referrer.name',
  'referrer.role',
  'referrer.organisation',
  'route',
  'person.nhsNumber',
  'person.identifiers[0].system',
  'person.identifiers[0].value',
  'person.name.given',
  'person.name.family',
  'person.birthDate',
  'person.address.lines',
  'person.address.postcode',
  'person.preferredContact',
  'reason',
  'supportNeeded',
  'risks.toSelf',
  'risks.toOthers',
  'risks.inCrisis',
].join(',');

const row = (over: Record<string, string> = {}): string => {
  const base: Record<string, string> = {
    id: 'R1',
    site: 'cardiff-vale',
    version: '2',
    referralDate: '2025-03-10',
    receivedAt: '2025-03-10T14:32:05+00:00',
    consentToRefer: 'yes',
    'referrer.name': 'Dr Siobhán Ní Bhriain',
    'referrer.role': 'GP',
    'referrer.organisation': 'Canton Surgery',
    route: 'gp',
    'person.nhsNumber': '9434765919',
    'person.identifiers[0].system': 'chi',
    'person.identifiers[0].value': '1403851239',
    'person.name.given': 'Llŷr; Dafydd',
    'person.name.family': 'Ap Gwilym 🐉',
    'person.birthDate': '1985-03-14',
    'person.address.lines': '"Flat 3; Tŷ Gwyn;12 Heol y Frenhines, Canton"',
    'person.address.postcode': 'cf10 1aa',
    'person.preferredContact': 'text',
    reason: '"Low mood, rent arrears"',
    supportNeeded: 'finances;accommodation',
    'risks.toSelf': 'no',
    'risks.toOthers': 'FALSE',
    'risks.inCrisis': 'false',
  };
  const merged = { ...base, ...over };
  return REFERRAL_HEADER.split(',')
    .map((h) => merged[h] ?? '')
    .join(',');
};

describe('parseCsvRecords(referral)', () => {
  it('reads a row into a record that passes checkRecord, Unicode intact', () => {
    const [r] = parseCsvRecords('referral', `${REFERRAL_HEADER}\n${row()}\n`);
    expect(r?.issues).toEqual([]);
    expect(r?.row).toBe(2);
    const { record, issues } = checkRecord('referral', r?.input, OPTS);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({
      version: 2,
      consentToRefer: true,
      person: {
        identifiers: [{ system: 'chi', value: '1403851239' }],
        name: { given: ['Llŷr', 'Dafydd'], family: 'Ap Gwilym 🐉' },
        address: { lines: ['Flat 3', 'Tŷ Gwyn', '12 Heol y Frenhines, Canton'], postcode: 'cf10 1aa' },
      },
      reason: 'Low mood, rent arrears',
      supportNeeded: ['finances', 'accommodation'],
      risks: { toSelf: false, toOthers: false, inCrisis: false },
    });
  });

  it('tolerates a BOM and CRLF line ends', () => {
    const rows = parseCsvRecords('referral', `\uFEFF${REFERRAL_HEADER}\r\n${row()}\r\n`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.issues).toEqual([]);
    expect(rows[0]?.input).toMatchObject({ id: 'R1' });
  });

  it('treats an empty cell as absent', () => {
    const [r] = parseCsvRecords(
      'referral',
      `${REFERRAL_HEADER}\n${row({ consentToRefer: '', 'person.nhsNumber': '' })}\n`,
    );
    const input = r?.input as { consentToRefer?: boolean; person: Record<string, unknown> };
    expect('consentToRefer' in input).toBe(false);
    expect('nhsNumber' in input.person).toBe(false);
    expect(checkRecord('referral', input, OPTS).record?.consentToRefer).toBeUndefined();
  });

  it('reports each row with its own line number and problems, without cell values', () => {
    const csv = [
      REFERRAL_HEADER,
      row({ id: 'R1' }),
      row({ id: 'R2', consentToRefer: 'maybe', version: 'two' }),
      '',
      row({ id: 'R3', reason: '"Two\nlines"', 'risks.inCrisis': 'perhaps' }),
      row({ id: 'R4' }),
    ].join('\n');
    const rows = parseCsvRecords('referral', csv);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 5, 7]);
    expect(rows.map((r) => r.input !== undefined)).toEqual([true, false, false, true]);
    const r2 = rows[1]?.issues ?? [];
    expect(issueAt(r2, 'consentToRefer').diagnostics).toBe('consentToRefer: must be true, false, yes or no');
    expect(issueAt(r2, 'version').diagnostics).toBe('version: must be a whole number');
    expect(issueAt(rows[2]?.issues ?? [], 'risks.inCrisis').code).toBe('value');
    expectNoEcho([...r2, ...(rows[2]?.issues ?? [])], 'maybe', 'two', 'perhaps');
  });

  it('leaves unknown columns to checkRecord, which names them', () => {
    const [r] = parseCsvRecords('referral', `${REFERRAL_HEADER},person.shoeSize\n${row()},42\n`);
    expect(r?.issues).toEqual([]);
    expect(issueAt(checkRecord('referral', r?.input, OPTS).issues, 'person.shoeSize').code).toBe('structure');
  });

  it('reports bad headers on every row', () => {
    const rows = parseCsvRecords(
      'referral',
      `${REFERRAL_HEADER},person,risks..x\n${row()},a,b\n${row()},a,b\n`,
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.input).toBeUndefined();
      expect(issueAt(r.issues, 'person').code).toBe('structure');
      expect(r.issues.some((i) => i.diagnostics?.includes('column 26'))).toBe(true);
    }
  });

  it('reports duplicate headers, ragged rows and identifier gaps', () => {
    const header = `${REFERRAL_HEADER},id,person.identifiers[2].system`;
    const [r] = parseCsvRecords('referral', `${header}\n${row()},R9,local,extra\n`);
    expect(issueAt(r?.issues ?? [], 'id').diagnostics).toContain('duplicate header');
    expect(r?.issues.some((i) => i.diagnostics?.includes('has 27 fields, the header has 26'))).toBe(true);
    expect(issueAt(r?.issues ?? [], 'person.identifiers[1]').code).toBe('required');
  });

  it('reports malformed CSV and empty input instead of returning nothing', () => {
    const bad = parseCsvRecords('referral', `${REFERRAL_HEADER}\n${row({ reason: '"unclosed' })}\n`);
    expect(bad).toHaveLength(1);
    expect(bad[0]?.issues[0]?.diagnostics).toContain('CSV_QUOTE_NOT_CLOSED');
    expect(bad[0]?.input).toBeUndefined();
    const empty = parseCsvRecords('referral', `${REFERRAL_HEADER}\n`);
    expect(empty).toEqual([{ row: 1, issues: [expect.objectContaining({ code: 'structure' })] }]);
  });
});

describe('parseCsvRecords(event)', () => {
  it('reads rows of different event types from one file, with numbers and booleans', () => {
    const csv = [
      'id,site,version,referralId,type,at,method,consentConfirmed,measure,score,reason,detail',
      'E1,leeds-north,1,R1,contacted,2025-03-11T13:05:00+00:00,phone,no,,,,',
      'E2,leeds-north,1,R1,outcome-recorded,2025-04-24T10:00:00+01:00,,,other,58.5,,',
      'E3,leeds-north,1,R1,rejected,2025-03-10T16:00:00Z,,,,,out-of-area,Outside Leeds — Siobhán told',
      'E4,leeds-north,1,R1,outcome-recorded,2025-04-24T10:00:00+01:00,,,other,lots,,',
    ].join('\n');
    const rows = parseCsvRecords('event', csv);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4, 5]);
    const checked = rows.slice(0, 3).map((r) => checkRecord('event', r.input, OPTS));
    expect(checked.map((c) => c.issues)).toEqual([[], [], []]);
    expect(checked[0]?.record).toMatchObject({ type: 'contacted', consentConfirmed: false });
    expect(checked[1]?.record).toMatchObject({ type: 'outcome-recorded', score: 58.5 });
    expect(checked[2]?.record).toMatchObject({ detail: 'Outside Leeds — Siobhán told' });
    expect(errorCodeOf(issueAt(rows[3]?.issues ?? [], 'score'))).toBe('REC_BAD_REQUEST');
    expectNoEcho(rows[3]?.issues ?? [], 'lots');
  });

  it('reads an outcome scored part by part from dotted columns (Recovery Star domains)', () => {
    const keys = MEASURES['recovery-star'].parts?.list.map((i) => `domains.${i.key}`) ?? [];
    const csv = [
      `id,site,version,referralId,type,at,measure,${keys.join(',')}`,
      `E1,leeds-north,1,R1,outcome-recorded,2025-04-24T10:00:00+01:00,recovery-star,${keys.map((_, i) => i + 1).join(',')}`,
    ].join('\n');
    const [row] = parseCsvRecords('event', csv);
    const checked = checkRecord('event', row?.input, OPTS);
    expect(checked.issues).toEqual([]);
    expect(checked.record).toMatchObject({ domains: { 'managing-mental-health': 1, 'trust-hope': 10 } });
  });
});
