// Valid example resources, one per navbridge profile, for the validator tests (not a test file).
import type { Bundle, FhirResource, QuestionnaireResponse, Resource } from 'fhir/r4.js';
import {
  codeSystemUrl,
  IDENTIFIER_SYSTEMS,
  PROFILES,
  type ProfileName,
  QUESTIONNAIRES,
} from '../../../src/fhir/canonical.js';

/** Loosely typed so tests can break any element of an example. */
export type ExampleResource = Resource & { [key: string]: unknown };

const NS = 'https://example-navigators.org.uk/id';
const meta = (name: ProfileName) => ({ profile: [PROFILES[name]] });
const patientRef = { reference: 'urn:uuid:00000000-0000-5000-8000-000000000001' };
const referralRef = { reference: 'urn:uuid:00000000-0000-5000-8000-000000000002' };
const cc = (id: Parameters<typeof codeSystemUrl>[0], code: string) => ({
  coding: [{ system: codeSystemUrl(id), code }],
});

export function validExamples(): Record<ProfileName, ExampleResource> {
  return {
    'navbridge-patient': {
      resourceType: 'Patient',
      meta: meta('navbridge-patient'),
      identifier: [
        { system: IDENTIFIER_SYSTEMS['nhs-number'], value: '9434765919' },
        { system: `${NS}/patient`, value: 'ref-1' },
      ],
      name: [{ given: ['Siobhán'], family: 'Llŷr 🌿' }],
      birthDate: '1990-02-28',
    },
    'navbridge-referral': {
      resourceType: 'ServiceRequest',
      meta: meta('navbridge-referral'),
      identifier: [{ system: `${NS}/referral`, value: 'ref-1' }],
      status: 'active',
      intent: 'order',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '871731000000106' }] },
      orderDetail: [cc('need-domain', 'benefits'), cc('need-domain', 'accommodation')],
      subject: patientRef,
      authoredOn: '2024-03-01',
      requester: { reference: 'urn:uuid:00000000-0000-5000-8000-000000000003' },
    },
    'navbridge-onward-referral': {
      resourceType: 'ServiceRequest',
      meta: meta('navbridge-onward-referral'),
      identifier: [{ system: `${NS}/onward-referral`, value: 'or-1' }],
      status: 'active',
      intent: 'filler-order',
      basedOn: [referralRef],
      subject: patientRef,
      code: { text: 'Debt advice' },
    },
    'navbridge-referral-task': {
      resourceType: 'Task',
      meta: meta('navbridge-referral-task'),
      identifier: [{ system: `${NS}/referral-task`, value: 'ref-1' }],
      status: 'on-hold',
      businessStatus: cc('business-status', 'consent-to-confirm'),
      intent: 'order',
      code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
      focus: referralRef,
      for: patientRef,
      authoredOn: '2024-03-01T09:30:00+00:00',
      lastModified: '2024-03-01T09:30:00Z',
    },
    'navbridge-onward-task': {
      resourceType: 'Task',
      meta: meta('navbridge-onward-task'),
      identifier: [{ system: `${NS}/support-plan-onward-task`, value: 'plan-1/or-1' }],
      partOf: [{ type: 'Task', identifier: { system: `${NS}/referral-task`, value: 'ref-1' } }],
      status: 'requested',
      intent: 'order',
      code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
      focus: { reference: 'urn:uuid:00000000-0000-5000-8000-000000000006' },
      for: patientRef,
      authoredOn: '2024-03-05',
      owner: { display: 'Debt advice service' },
    },
    'navbridge-needs-assessment': validAssessment(),
    'navbridge-support-plan': {
      resourceType: 'CarePlan',
      meta: meta('navbridge-support-plan'),
      identifier: [{ system: `${NS}/support-plan`, value: 'plan-1' }],
      status: 'active',
      intent: 'plan',
      subject: patientRef,
      goal: [{ reference: 'urn:uuid:00000000-0000-5000-8000-000000000005' }],
      activity: [{ detail: { status: 'scheduled', description: 'Call the debt advice line' } }],
    },
    'navbridge-goal': {
      resourceType: 'Goal',
      meta: meta('navbridge-goal'),
      identifier: [{ system: `${NS}/goal`, value: 'g-1' }],
      lifecycleStatus: 'active',
      achievementStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'in-progress' }],
      },
      category: [cc('wales-recovery-area', 'finance-money')],
      description: { text: 'Reduce debts' },
      subject: patientRef,
      target: [{ dueDate: '2024-02-29' }],
    },
    'navbridge-communication': {
      resourceType: 'Communication',
      meta: meta('navbridge-communication'),
      status: 'completed',
      category: [cc('communication-category', 'escalation')],
      priority: 'urgent',
      subject: patientRef,
      payload: [{ contentString: 'Summary' }],
      sent: '2024-03-02T10:00:00+01:00',
    },
    'navbridge-flag': {
      resourceType: 'Flag',
      meta: meta('navbridge-flag'),
      status: 'active',
      category: [cc('flag-category', 'risk-to-self')],
      code: { text: 'Risk to self declared at referral' },
      subject: patientRef,
    },
    'navbridge-organization': {
      resourceType: 'Organization',
      meta: meta('navbridge-organization'),
      identifier: [{ system: IDENTIFIER_SYSTEMS.ods, value: 'B82005' }],
      name: 'Example Surgery',
    },
    'navbridge-practitioner-role': {
      resourceType: 'PractitionerRole',
      meta: meta('navbridge-practitioner-role'),
      practitioner: { display: 'Dr A Example' },
      organization: { reference: 'urn:uuid:00000000-0000-5000-8000-000000000004' },
      telecom: [{ system: 'phone', value: '0113 000 0000' }],
    },
    'navbridge-outcome-observation': {
      resourceType: 'Observation',
      meta: meta('navbridge-outcome-observation'),
      status: 'final',
      code: cc('outcome-measure', 'wemwbs'),
      subject: patientRef,
      effectiveDateTime: '2024-03-05',
      valueInteger: 42,
    },
  };
}

export function validAssessment(): QuestionnaireResponse & ExampleResource {
  return {
    resourceType: 'QuestionnaireResponse',
    meta: meta('navbridge-needs-assessment'),
    identifier: { system: `${NS}/assessment`, value: 'a-1' },
    questionnaire: QUESTIONNAIRES.hna,
    status: 'completed',
    subject: patientRef,
    authored: '2024-03-04T14:00:00Z',
    item: [
      {
        linkId: 'consent',
        item: [
          { linkId: 'consent.confidentiality-discussed', answer: [{ valueBoolean: true }] },
          { linkId: 'consent.assessment-consent', answer: [{ valueBoolean: true }] },
        ],
      },
      {
        linkId: 'diagnoses',
        answer: [
          { valueCoding: { system: codeSystemUrl('diagnosis'), code: 'depression' } },
          { valueCoding: { system: codeSystemUrl('diagnosis'), code: 'ptsd' } },
        ],
      },
      {
        linkId: 'benefits',
        item: [
          { linkId: 'benefits.need-identified', answer: [{ valueBoolean: true }] },
          {
            linkId: 'benefits.priority',
            answer: [{ valueCoding: { system: codeSystemUrl('assessment-priority'), code: 'high' } }],
          },
          { linkId: 'benefits.notes', answer: [{ valueString: 'Needs help with PIP form' }] },
          {
            linkId: 'benefits.receiving-all-eligible',
            answer: [{ valueCoding: { system: codeSystemUrl('assessment-answer'), code: 'under-sanction' } }],
          },
        ],
      },
    ],
  };
}

/** All examples in one collection Bundle with urn:uuid fullUrls matching the references above. */
export function validBundle(): Bundle {
  const ex = validExamples();
  const ids: Partial<Record<ProfileName, string>> = {
    'navbridge-patient': '00000000-0000-5000-8000-000000000001',
    'navbridge-referral': '00000000-0000-5000-8000-000000000002',
    'navbridge-practitioner-role': '00000000-0000-5000-8000-000000000003',
    'navbridge-organization': '00000000-0000-5000-8000-000000000004',
    'navbridge-goal': '00000000-0000-5000-8000-000000000005',
    'navbridge-onward-referral': '00000000-0000-5000-8000-000000000006',
  };
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: (Object.keys(ex) as ProfileName[]).map((name, i) => ({
      fullUrl: `urn:uuid:${ids[name] ?? `00000000-0000-5000-8000-0000000001${String(i).padStart(2, '0')}`}`,
      resource: ex[name] as unknown as FhirResource,
    })),
  };
}
