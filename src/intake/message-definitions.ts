// The BaRS MessageDefinitions navbridge receives against (pure): the national servicerequest-request
// definitions (BaRS IG 1.12 FHIR assets: referral, validation, cancelled) with their focus
// cardinalities, the check of a message Bundle against the one its MessageHeader.definition names,
// and the MessageDefinition resources served at GET /fhir/MessageDefinition.
import type { MessageDefinition, MessageDefinitionFocus, OperationOutcomeIssue, Resource } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import { BARS_EVENT_SYSTEM } from './envelope.js';

/** BaRS Core version navbridge implements (MessageDefinition.version, CapabilityStatement messaging). */
export const BARS_CORE_VERSION = '1.5.0';
export const USE_CASE_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/usecases-categories-bars';
const DOS_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';

export interface FocusRule {
  code: string;
  min: number;
  /** Undefined: any number. */
  max?: number;
}

export interface SupportedDefinition {
  /** navbridge's logical id (GET /fhir/MessageDefinition/{id}). */
  id: string;
  /** BaRS's canonical URL: what a sender's MessageHeader.definition names. */
  url: string;
  title: string;
  event: 'servicerequest-request';
  focus: readonly FocusRule[];
}

const f = (code: string, min: number, max?: number): FocusRule => ({
  code,
  min,
  ...(max !== undefined ? { max } : {}),
});

// Cardinalities as BaRS publishes them (NHSDigital-FHIR-BookingAndReferrals MessageDefinition/*.xml);
// the slices of one resource type (e.g. two Flag profiles) are summed.
const COMMON = [f('Bundle', 1, 1), f('MessageHeader', 1, 1), f('ServiceRequest', 1, 1), f('Patient', 1, 1)];
export const SUPPORTED_DEFINITIONS: readonly SupportedDefinition[] = [
  {
    id: 'bars-servicerequest-request-referral',
    url: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral',
    title: 'BaRS ServiceRequest - Request Referral (as navbridge receives it)',
    event: 'servicerequest-request',
    focus: [
      ...COMMON,
      f('Encounter', 1, 1),
      f('CarePlan', 1, 1),
      f('Organization', 2),
      f('Practitioner', 1),
      f('PractitionerRole', 1),
      f('Consent', 1),
      f('HealthcareService', 1),
      f('Device', 0, 1),
    ],
  },
  {
    id: 'bars-servicerequest-request-validation',
    url: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-validation',
    title: 'BaRS ServiceRequest - Request Validation (as navbridge receives it)',
    event: 'servicerequest-request',
    focus: [
      ...COMMON,
      f('Encounter', 1, 1),
      f('CarePlan', 1, 1),
      f('Location', 1, 1),
      f('Organization', 2),
      f('Practitioner', 1),
      f('PractitionerRole', 1),
      f('Consent', 1),
      f('HealthcareService', 1, 1),
    ],
  },
  {
    id: 'bars-servicerequest-request-cancelled',
    url: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-cancelled',
    title: 'BaRS ServiceRequest - Request Cancelled (as navbridge receives it)',
    event: 'servicerequest-request',
    focus: [...COMMON, f('Organization', 2)],
  },
];

/** The definition a canonical reference names (an `|version` tail is allowed), if navbridge supports it. */
export function tryGetDefinition(canonical: string): SupportedDefinition | undefined {
  const url = canonical.split('|')[0];
  return SUPPORTED_DEFINITIONS.find((d) => d.url === url);
}

/** Every way the message's entries break the definition's focus cardinalities (none: it conforms). */
export function validateAgainstDefinition(
  def: SupportedDefinition,
  entries: readonly Resource[],
): OperationOutcomeIssue[] {
  const counts = new Map<string, number>([['Bundle', 1]]);
  for (const r of entries) counts.set(r.resourceType, (counts.get(r.resourceType) ?? 0) + 1);
  const out: OperationOutcomeIssue[] = [];
  for (const rule of def.focus) {
    const n = counts.get(rule.code) ?? 0;
    const wanted = rule.max === undefined ? `at least ${rule.min}` : `${rule.min}..${rule.max}`;
    if (n < rule.min || (rule.max !== undefined && n > rule.max))
      out.push(
        issue({
          code: 'invariant',
          diagnostics: `Bundle.entry: ${n} ${rule.code} resource(s), the MessageDefinition ${def.id} wants ${wanted}`,
          expression: `Bundle.entry.resource.ofType(${rule.code})`,
          errorCode: 'REC_UNPROCESSABLE_ENTITY',
        }),
      );
  }
  return out;
}

/** What a served MessageDefinition says about the services that receive it. */
export interface DefinitionContext {
  dosServiceIds: readonly string[];
  useCaseCategories: readonly string[];
}

/** The MessageDefinition resource navbridge serves for a supported definition. */
export function messageDefinitionResource(
  def: SupportedDefinition,
  ctx: DefinitionContext,
): MessageDefinition {
  const workflow = { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'workflow' };
  return {
    resourceType: 'MessageDefinition',
    id: def.id,
    url: def.url,
    version: BARS_CORE_VERSION,
    name: def.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
    title: def.title,
    status: 'active',
    date: '2026-12-01',
    publisher: 'navbridge',
    description:
      'The BaRS national MessageDefinition, as navbridge checks it: a message naming it must carry each focus resource within its cardinality (else 422).',
    useContext: [
      ...ctx.dosServiceIds.map((id) => ({
        code: workflow,
        valueCodeableConcept: { coding: [{ system: DOS_SYSTEM, code: id }] },
      })),
      ...ctx.useCaseCategories.map((c) => ({
        code: workflow,
        valueCodeableConcept: { coding: [{ system: USE_CASE_SYSTEM, code: c }] },
      })),
    ],
    eventCoding: { system: BARS_EVENT_SYSTEM, code: def.event },
    category: 'consequence',
    focus: def.focus.map((r) => ({
      code: r.code as MessageDefinitionFocus['code'],
      min: r.min,
      max: r.max === undefined ? '*' : String(r.max),
    })),
  };
}
