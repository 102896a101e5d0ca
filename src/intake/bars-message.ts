// BaRS receiver checks on a message Bundle (pure), in the specification's processing order (BaRS
// Core 1.5 "Bundle processing" and "Message Headers"): Bundle.meta.versionId (missing 400, another
// major version 422) → MessageHeader.destination names this service (receiver Organization and
// endpoint = a site's DoS id, else 422) → source.endpoint kept as the reply address → the Bundle
// conforms to the MessageDefinition it names → the ServiceRequest's use-case category is one the
// site takes (422). The tolerant reader has already made NHS system URLs canonical.
import type { Bundle, MessageHeader, OperationOutcomeIssue, Organization, Resource } from 'fhir/r4.js';
import { badRequest, issue, unprocessable } from '../errors/index.js';
import type { InboundEnvelope } from './envelope.js';
import {
  BARS_CORE_VERSION,
  tryGetDefinition,
  USE_CASE_SYSTEM,
  validateAgainstDefinition,
} from './message-definitions.js';

const DOS_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
// BaRS Core 1.5's pseudo code spells the use-case system without the 's'.
const USE_CASE_SYSTEMS = new Set([USE_CASE_SYSTEM, 'https://fhir.nhs.uk/CodeSystem/usecase-categories-bars']);
const SEMVER = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:-[0-9A-Za-z.-]{1,40})?$/;
/** A reply address: a `<system>|<value>` target identifier or an absolute https/http URL. */
const TARGET = /^(https?:\/\/[^\s|]{1,400})\|([A-Za-z0-9._-]{1,64})$/;
const URL_ADDRESS = /^https?:\/\/[^\s|]{1,1000}$/;

/** The major version of BaRS Core navbridge implements: a request for a higher one is refused. */
export const BARS_MAJOR = Number(BARS_CORE_VERSION.split('.')[0]);

/** The site facts the checks read (src/settings/site.ts). */
export interface BarsSite {
  id: string;
  odsCode?: string | undefined;
  dosServiceIds: readonly string[];
  useCaseCategories: readonly string[];
}

export interface BarsChecked {
  /** The site the destination names. */
  site: string;
  /** MessageHeader.source.endpoint: where asynchronous replies go (NHSD-Target-Identifier). */
  replyTo: string;
  warnings: OperationOutcomeIssue[];
}

/** Bundle.meta.versionId names the BaRS version the message follows: required, major version 1. */
export function assertBarsVersion(body: Bundle): void {
  const v = body.meta?.versionId;
  if (typeof v !== 'string' || v.trim() === '')
    throw badRequest('Bundle.meta.versionId: is required on a BaRS message (the BaRS version it follows)', {
      code: 'invariant',
      expression: 'Bundle.meta.versionId',
    });
  const m = SEMVER.exec(v.trim());
  if (!m || Number(m[1]) !== BARS_MAJOR)
    throw unprocessable(
      `Bundle.meta.versionId: this service supports BaRS ${BARS_MAJOR}.x messages (it implements ${BARS_CORE_VERSION})`,
      { code: 'not-supported', expression: 'Bundle.meta.versionId' },
    );
}

const ids = (o: Resource | undefined, system: string): string[] =>
  o?.resourceType === 'Organization'
    ? ((o as Organization).identifier ?? []).filter((i) => i.system === system).map((i) => i.value ?? '')
    : [];

/** The site a destination names (endpoint DoS id), with its receiver Organization checked. */
function destinationSite(envelope: InboundEnvelope, sites: readonly BarsSite[]): string {
  const header = envelope.message!.header;
  const destinations = header.destination ?? [];
  const refuse = (diagnostics: string, expression: string) =>
    unprocessable(diagnostics, { code: 'business-rule', expression });
  if (destinations.length === 0)
    throw refuse(
      'MessageHeader.destination: is required (the service the message is for)',
      'MessageHeader.destination',
    );
  for (const [i, d] of destinations.entries()) {
    const [system, value] = (d.endpoint ?? '').split('|');
    const site =
      system === DOS_SYSTEM ? sites.find((s) => value && s.dosServiceIds.includes(value)) : undefined;
    if (!site) continue;
    const path = `MessageHeader.destination[${i}].receiver`;
    const receiver = envelope.resolve(d.receiver);
    if (receiver?.resourceType !== 'Organization')
      throw refuse(`${path}: must reference the receiving Organization in the message`, path);
    // An Organization with identifiers must be this service; one with only a name (as BaRS's examples) is read as it.
    const ods = ids(receiver, ODS_SYSTEM).map((c) => c.toUpperCase());
    const dos = ids(receiver, DOS_SYSTEM);
    if (
      (ods.length > 0 && !ods.includes(site.odsCode ?? '')) ||
      (dos.length > 0 && !dos.some((x) => site.dosServiceIds.includes(x)))
    )
      throw refuse(`${path}: names another organisation than the service the endpoint names`, path);
    return site.id;
  }
  throw refuse(
    'MessageHeader.destination.endpoint: names no service here (a DoS service id, https://fhir.nhs.uk/Id/dos-service-id|<id>)',
    'MessageHeader.destination.endpoint',
  );
}

/** MessageHeader.source.endpoint: the NHSD-Target-Identifier for asynchronous replies (stored). */
function replyAddress(header: MessageHeader): string {
  const endpoint = header.source?.endpoint ?? '';
  if (!TARGET.test(endpoint) && !URL_ADDRESS.test(endpoint))
    throw unprocessable(
      'MessageHeader.source.endpoint: must be the sender’s target identifier (<system>|<id>) or URL, for replies',
      { code: 'required', expression: 'MessageHeader.source.endpoint' },
    );
  return endpoint;
}

/** The Bundle against the MessageDefinition its header names: every shortfall at once (422). */
function definitionIssues(envelope: InboundEnvelope): OperationOutcomeIssue[] {
  const header = envelope.message!.header;
  const named = header.definition;
  if (!named)
    return [
      issue({
        severity: 'warning',
        code: 'incomplete',
        diagnostics:
          'MessageHeader.definition: not named (BaRS requires it): the message was checked against none',
        expression: 'MessageHeader.definition',
        errorCode: 'BARS_NO_DEFINITION',
      }),
    ];
  const def = tryGetDefinition(named);
  if (!def || def.event !== envelope.message!.event)
    throw unprocessable(
      'MessageHeader.definition: names a MessageDefinition this service does not support (GET /MessageDefinition lists them)',
      { code: 'not-supported', expression: 'MessageHeader.definition' },
    );
  const entries = ((envelope.body as Bundle).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  const problems = validateAgainstDefinition(def, entries);
  if (problems.length > 0) throw unprocessable(problems);
  return [];
}

/** BaRS use-case categories on the ServiceRequest must be ones the site takes (none carried: accepted). */
export function assertUseCase(envelope: InboundEnvelope, site: BarsSite): void {
  const codes = (envelope.serviceRequest?.category ?? []).flatMap((c) =>
    (c.coding ?? []).filter((x) => x.system && USE_CASE_SYSTEMS.has(x.system)).map((x) => x.code ?? ''),
  );
  const foreign = codes.filter((c) => !site.useCaseCategories.includes(c));
  if (foreign.length > 0)
    throw unprocessable(
      `ServiceRequest.category: a BaRS use case this service does not take (it takes: ${site.useCaseCategories.join(', ') || 'none'})`,
      { code: 'not-supported', expression: 'ServiceRequest.category' },
    );
}

/** Every BaRS receiver check on a servicerequest-request, in the specification's order. */
export function checkBarsRequest(envelope: InboundEnvelope, sites: readonly BarsSite[]): BarsChecked {
  assertBarsVersion(envelope.body as Bundle);
  const siteId = destinationSite(envelope, sites);
  const replyTo = replyAddress(envelope.message!.header);
  const warnings = definitionIssues(envelope);
  assertUseCase(envelope, sites.find((s) => s.id === siteId)!);
  return { site: siteId, replyTo, warnings };
}
