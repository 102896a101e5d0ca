// Document mode: a FHIR document Bundle (Composition + narrative sections) for partners that only file
// documents, sent as the Bundle itself or as a transaction of Binary + DocumentReference.
import type {
  Binary,
  Bundle,
  BundleEntry,
  CodeableConcept,
  Composition,
  DocumentReference,
  Reference,
  Resource,
} from 'fhir/r4.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { buildSections } from './document-narrative.js';
import { bestPatientIdentifier, fullUrlOf, identifierToken, isOnwardTask } from './references.js';

export const DOCUMENT_TITLE = 'Mental Health Navigation update';
/** LOINC 11506-3 "Progress note": an update from a service already involved in the person's care. */
export const DOCUMENT_TYPE: CodeableConcept = {
  coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }],
  text: DOCUMENT_TITLE,
};
const URI = 'urn:ietf:rfc:3986';
const NATIONAL = new Set<string>([
  IDENTIFIER_SYSTEMS['nhs-number'],
  IDENTIFIER_SYSTEMS.chi,
  IDENTIFIER_SYSTEMS['hc-number'],
]);

export interface DocumentOptions {
  partner: PartnerConfig;
  site: string;
  now: string;
  bundleId: string;
  authorDisplay?: string;
  /** Deterministic UUID per part ('Composition', 'document', 'Binary', …). */
  uuid: (part: string) => string;
}

type Json = unknown;

/** The person's national identifier, from a Patient or any reference that carries one. */
export function patientReference(resources: readonly Resource[]): Reference | undefined {
  const patient = resources.find((r) => r.resourceType === 'Patient');
  const fromPatient = patient ? bestPatientIdentifier(patient) : undefined;
  if (fromPatient) return { type: 'Patient', identifier: fromPatient };
  let found: { system: string; value: string } | undefined;
  const walk = (v: Json): void => {
    if (found || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const ident = (v as { identifier?: { system?: string; value?: string } }).identifier;
    if (ident && !Array.isArray(ident) && ident.system && ident.value && NATIONAL.has(ident.system)) {
      found = { system: ident.system, value: ident.value };
      return;
    }
    for (const x of Object.values(v)) walk(x);
  };
  walk(resources);
  return found ? { type: 'Patient', identifier: found } : undefined;
}

/** The navigator service as author: the Task owner or Communication sender the mapping wrote. */
function author(resources: readonly Resource[], display: string | undefined, site: string): Reference {
  if (display) return { display };
  for (const r of resources) {
    // An onward Task's owner is the service referred on to, not the document's author.
    if (isOnwardTask(r)) continue;
    const candidate =
      (r as { owner?: Reference; sender?: Reference }).owner ?? (r as { sender?: Reference }).sender;
    if (candidate?.display) {
      const { reference: _local, ...rest } = candidate;
      return rest;
    }
  }
  return { display: `Mental health navigation service (${site})` };
}

/** The document Bundle itself (type document, identifier and timestamp set, Composition first). */
export function buildDocument(resources: readonly Resource[], opts: DocumentOptions): Bundle {
  const content = opts.partner.document.content;
  const subject = patientReference(resources);
  const documentId = { system: URI, value: `urn:uuid:${opts.uuid('document')}` };
  const compositionId = opts.uuid('Composition');
  const composition: Composition = {
    resourceType: 'Composition',
    id: compositionId,
    identifier: documentId,
    status: 'final',
    type: DOCUMENT_TYPE,
    ...(subject ? { subject } : {}),
    date: opts.now,
    author: [author(resources, opts.authorDisplay, opts.site)],
    title: DOCUMENT_TITLE,
    section: buildSections(resources, content),
  };
  const included = content === 'full' ? resources : [];
  return {
    resourceType: 'Bundle',
    id: opts.bundleId,
    identifier: documentId,
    type: 'document',
    timestamp: opts.now,
    entry: [
      { fullUrl: `urn:uuid:${compositionId}`, resource: composition },
      ...included.map((r): BundleEntry => ({ fullUrl: fullUrlOf(r), resource: r })),
    ],
  };
}

function base64Utf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * The document as Binary + DocumentReference in one transaction. Both are idempotent on resend: the
 * Binary is PUT at its deterministic id, the DocumentReference updated on its identifier.
 */
export function buildDocumentReference(document: Bundle, opts: DocumentOptions): Bundle {
  const composition = document.entry?.[0]?.resource as Composition;
  const binaryId = opts.uuid('Binary');
  const binary: Binary = {
    resourceType: 'Binary',
    id: binaryId,
    contentType: 'application/fhir+json',
    data: base64Utf8(JSON.stringify(document)),
  };
  const identifier = document.identifier ?? { system: URI, value: `urn:uuid:${opts.uuid('document')}` };
  const docRefId = opts.uuid('DocumentReference');
  const docRef: DocumentReference = {
    resourceType: 'DocumentReference',
    id: docRefId,
    masterIdentifier: identifier,
    identifier: [identifier],
    status: 'current',
    docStatus: 'final',
    type: DOCUMENT_TYPE,
    ...(composition.subject ? { subject: composition.subject } : {}),
    date: opts.now,
    author: composition.author,
    description: DOCUMENT_TITLE,
    content: [
      {
        attachment: {
          contentType: 'application/fhir+json',
          url: `urn:uuid:${binaryId}`,
          title: DOCUMENT_TITLE,
          creation: opts.now,
        },
      },
    ],
  };
  const token = identifierToken({ system: identifier.system ?? URI, value: identifier.value ?? '' });
  return {
    resourceType: 'Bundle',
    id: opts.bundleId,
    type: 'transaction',
    timestamp: opts.now,
    entry: [
      {
        fullUrl: `urn:uuid:${binaryId}`,
        resource: binary,
        request: { method: 'PUT', url: `Binary/${binaryId}` },
      },
      {
        fullUrl: `urn:uuid:${docRefId}`,
        resource: docRef,
        request: { method: 'PUT', url: `DocumentReference?identifier=${token}` },
      },
    ],
  };
}
