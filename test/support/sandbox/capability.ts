// CapabilityStatement of a sandbox partner server (GET /metadata): what it really supports.
import type { CapabilityStatement } from '@medplum/fhirtypes';

/** Types listed explicitly; the store accepts any R4 resource type. */
const RESOURCE_TYPES = [
  'Patient',
  'ServiceRequest',
  'Task',
  'CarePlan',
  'Goal',
  'Questionnaire',
  'QuestionnaireResponse',
  'Communication',
  'Observation',
  'Flag',
  'Consent',
  'Encounter',
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'HealthcareService',
  'Location',
  'Composition',
  'DocumentReference',
  'Binary',
  'Bundle',
] as const;

const INTERACTIONS = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'create',
  'search-type',
] as const;

export function capabilityStatement(name: string, url: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2025-01-01',
    kind: 'instance',
    name: `SandboxPartner_${name.replace(/[^A-Za-z0-9]/g, '_')}`,
    software: { name: 'navbridge sandbox partner (medplum fhir-router MemoryRepository)' },
    implementation: { description: `Sandbox partner ${name}`, url },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: RESOURCE_TYPES.map((type) => ({
          type,
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: true,
          conditionalDelete: 'single',
          interaction: INTERACTIONS.map((code) => ({ code })),
          searchParam: [{ name: 'identifier', type: 'token' }],
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        operation: [
          {
            name: 'process-message',
            definition: 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message',
          },
        ],
      },
    ],
  };
}
