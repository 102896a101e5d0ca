// What the FHIR API answers: the BaRS response message, the transaction-response Bundle, the
// CapabilityStatement (only what is implemented), and searchset Bundles.
import { randomUUID } from 'node:crypto';
import type {
  Bundle,
  BundleEntry,
  CapabilityStatement,
  MessageHeader,
  OperationOutcome,
  OperationOutcomeIssue,
  Resource,
} from 'fhir/r4.js';
import { PROFILES } from '../../fhir/canonical.js';
import { BARS_EVENT_SYSTEM } from '../../intake/index.js';
import { barsMessaging } from './messaging.js';

export function barsResponseMessage(opts: {
  requestMessageId: string;
  baseUrl: string;
  now: Date;
  serviceRequestId?: string;
  issues: OperationOutcomeIssue[];
}): Bundle {
  const outcomeId = randomUUID();
  const headerId = randomUUID();
  const withOutcome = opts.issues.length > 0;
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: headerId,
    eventCoding: { system: BARS_EVENT_SYSTEM, code: 'servicerequest-response' },
    source: { endpoint: opts.baseUrl, software: 'navbridge' },
    response: {
      identifier: opts.requestMessageId,
      code: 'ok',
      ...(withOutcome ? { details: { reference: `urn:uuid:${outcomeId}` } } : {}),
    },
    ...(opts.serviceRequestId
      ? { focus: [{ reference: `${opts.baseUrl}/ServiceRequest/${opts.serviceRequestId}` }] }
      : {}),
  };
  const entry: BundleEntry[] = [{ fullUrl: `urn:uuid:${headerId}`, resource: header }];
  if (withOutcome) {
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', id: outcomeId, issue: opts.issues };
    entry.push({ fullUrl: `urn:uuid:${outcomeId}`, resource: outcome });
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'message',
    timestamp: opts.now.toISOString(),
    entry,
  };
}

/** A Bundle listing resources (searchset, history): total, self link, each entry with its fullUrl. */
function listBundle(
  type: 'searchset' | 'history',
  resources: Resource[],
  baseUrl: string,
  selfUrl: string,
  entryOf: (r: Resource, i: number) => Omit<BundleEntry, 'fullUrl' | 'resource'>,
): Bundle {
  return {
    resourceType: 'Bundle',
    type,
    total: resources.length,
    link: [{ relation: 'self', url: selfUrl }],
    entry: resources.map((r, i) => ({
      fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`,
      resource: r,
      ...entryOf(r, i),
    })),
  };
}

export function searchset(resources: Resource[], baseUrl: string, selfUrl: string): Bundle {
  return listBundle('searchset', resources, baseUrl, selfUrl, () => ({ search: { mode: 'match' } }));
}

/**
 * An instance history (FHIR http.html#history): newest first, each entry with the request that made
 * the version (the oldest a create, later ones updates) and its response.
 */
export function historyBundle(versions: Resource[], baseUrl: string, selfUrl: string): Bundle {
  return listBundle('history', versions, baseUrl, selfUrl, (r, i) => {
    const first = i === versions.length - 1;
    const vid = r.meta?.versionId;
    return {
      request: first
        ? { method: 'POST' as const, url: r.resourceType }
        : { method: 'PUT' as const, url: `${r.resourceType}/${r.id}` },
      response: {
        status: first ? '201 Created' : '200 OK',
        ...(vid ? { etag: `W/"${vid}"` } : {}),
        ...(r.meta?.lastUpdated ? { lastModified: r.meta.lastUpdated } : {}),
      },
    };
  });
}

const VALIDATE = {
  name: 'validate',
  definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  documentation: "a resource (or Parameters with resource and profile) against navbridge's profiles",
};

export function capabilityStatement(baseUrl: string, now: Date, version: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString().slice(0, 10),
    publisher: 'navbridge',
    kind: 'instance',
    software: { name: 'navbridge', version },
    implementation: {
      description: 'navbridge inbound FHIR API (referrals in, referral status out)',
      url: baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    rest: [
      {
        mode: 'server',
        security: {
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
              text: 'SMART Backend Services: bearer JWT (RS256/ES256) signed by the partner, aud = this base URL',
            },
          ],
        },
        resource: [
          {
            type: 'ServiceRequest',
            interaction: [
              { code: 'create' },
              { code: 'read' },
              { code: 'vread' },
              { code: 'history-instance' },
              { code: 'search-type' },
            ],
            versioning: 'versioned',
            readHistory: true,
            supportedProfile: [PROFILES['navbridge-referral'], PROFILES['navbridge-onward-referral']],
            operation: [VALIDATE],
            documentation: 'create: a referral with its Patient contained or referenced within the request',
            searchParam: [
              {
                name: 'patient:identifier',
                type: 'token',
                documentation:
                  '<system>|<value>: the caller’s referrals for the patient (verified identifiers)',
              },
            ],
          },
          { type: 'MessageDefinition', interaction: [{ code: 'read' }, { code: 'search-type' }] },
          {
            type: 'Task',
            interaction: [
              { code: 'read' },
              { code: 'vread' },
              { code: 'history-instance' },
              { code: 'search-type' },
            ],
            versioning: 'versioned',
            readHistory: true,
            supportedProfile: [PROFILES['navbridge-referral-task'], PROFILES['navbridge-onward-task']],
            operation: [VALIDATE],
            searchParam: [
              {
                name: 'focus',
                type: 'reference',
                documentation: 'ServiceRequest/<id> (the Location of a referral)',
              },
            ],
          },
        ],
        interaction: [
          {
            code: 'transaction',
            documentation: 'a ServiceRequest with its Patient and supporting resources',
          },
        ],
        operation: [
          {
            name: 'process-message',
            definition: 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message',
            documentation:
              'BaRS servicerequest-request (new, update, delete) and servicerequest-response to our messages',
          },
          VALIDATE,
        ],
      },
    ],
    messaging: barsMessaging(baseUrl),
  };
}
