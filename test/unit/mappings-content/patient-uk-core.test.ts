// UK Core on the Patient: the interpreter language is always coded in BCP 47 (required binding), from
// its English name, its own name or its tag; the NHS number carries its verification status.
import type { Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../../src/records/index.js';
import { recordFixture } from '../../support/fixtures.js';
import { mapWith, NOW, only } from './helpers.js';

const VERIFICATION_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus';

async function patientOf(person: Record<string, unknown>): Promise<Patient> {
  const { site: _site, ...input } = recordFixture('referral');
  const bundle = await mapWith(
    'referral',
    { ...input, person: { ...input.person, ...person } },
    {
      triage: { outcome: 'accept' },
    },
  );
  const [patient] = only(bundle, 'Patient');
  if (!patient) throw new Error('no Patient');
  return patient;
}

describe('Patient.communication.language', () => {
  it.each([
    ['Polish', 'pl', 'Polish'],
    ['Kinyarwanda', 'rw', 'Kinyarwanda'], // not in the old 21-entry table
    ['Cymraeg', 'cy', 'Welsh'],
    ['pa-Arab', 'pa-Arab', 'Punjabi (Arabic)'],
    ['EN-gb', 'en-GB', 'British English'],
    ['Central Kurdish', 'ckb', 'Central Kurdish'],
    ['BSL', 'bfi', 'British Sign Language'],
  ])('%s is coded as %s', async (language, code, display) => {
    const patient = await patientOf({ interpreterLanguage: language });
    expect(patient.communication).toEqual([
      {
        language: { coding: [{ system: 'urn:ietf:bcp:47', code, display }], text: language },
        preferred: true,
      },
    ]);
  });

  it('refuses a language it cannot code, naming the field and not the value', () => {
    const input = recordFixture('referral');
    input.person.interpreterLanguage = 'Klingonish';
    const { record, issues } = checkRecord('referral', input, {
      now: new Date(NOW),
      nhsNumberCheck: 'error',
    });
    expect(record).toBeUndefined();
    expect(issues.map((i) => [i.expression?.[0], i.details?.coding?.[0]?.code])).toEqual([
      ['person.interpreterLanguage', 'LANGUAGE_UNKNOWN'],
    ]);
    expect(JSON.stringify(issues)).not.toContain('Klingonish');
  });
});

describe('NHS number verification status', () => {
  const statusOf = (patient: Patient) =>
    patient.identifier
      ?.find((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number')
      ?.extension?.find((e) => e.url === VERIFICATION_URL)?.valueCodeableConcept?.coding?.[0]?.code;

  it('carries the record verified flag on the NHS number (true, false) and none when not given', async () => {
    const nhs = '4857773457';
    const withFlag = (verified?: boolean) =>
      patientOf({
        nhsNumber: nhs,
        identifiers: [{ system: 'nhs-number', value: nhs, ...(verified === undefined ? {} : { verified }) }],
      });
    expect(statusOf(await withFlag(true))).toBe('number-present-and-verified');
    expect(statusOf(await withFlag(false))).toBe('number-present-but-not-traced');
    expect(statusOf(await withFlag())).toBeUndefined();
    const patient = await withFlag(true);
    expect(patient.identifier?.filter((i) => i.value === nhs)).toHaveLength(1);
  });
});
