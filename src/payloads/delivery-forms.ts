// The exact body sent to a partner, per delivery mode (docs/delivery.md "Payloads per delivery mode"):
// transaction, rest, BaRS message or document. Pure and deterministic: ids from `exchangeKey`, time `now`.
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import { v5 as uuidv5 } from 'uuid';
import { CANONICAL_BASE, IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { NAVBRIDGE_NAMESPACE } from '../fhir/ids.js';
import { cloneJson } from '../fhir/json.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { type BarsContext, barsMessage } from './bars-message.js';
import { buildDocument, buildDocumentReference, type DocumentOptions } from './document-bundle.js';
import { withLogicalReferences } from './external-references.js';
import {
  bestPatientIdentifier,
  businessIdentifier,
  dependencyOrder,
  fullUrlOf,
  identifierToken,
  logicalReference,
  onwardTaskFocus,
  rewriteUrnReferences,
  urnReferences,
} from './references.js';

export { identifierToken } from './references.js';

export type DeliveryMode = PartnerConfig['mode'];

export interface PayloadOptions {
  partner: PartnerConfig;
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  /** Stable per exchange (not per attempt): message and document identifiers derive from it. */
  exchangeKey: string;
  /** ISO instant: Bundle timestamp, Composition/DocumentReference date. */
  now: string;
  bundleId: string;
  /** MessageHeader.source.endpoint without a site DoS id (default: `${CANONICAL_BASE}/Endpoint/<site>`). */
  sourceEndpoint?: string;
  /** Composition/DocumentReference author (default: the Task owner or Communication sender). */
  authorDisplay?: string;
  /** BaRS message mode: sender, the request answered, the journey, an onward referral's Patient. */
  bars?: BarsContext;
}

/** A UUID fixed by (exchangeKey, part): a resend builds the same message and document identifiers. */
export function exchangeUuid(exchangeKey: string, part: string): string {
  return uuidv5(JSON.stringify(['exchange', exchangeKey, part]), NAVBRIDGE_NAMESPACE);
}

/**
 * Applies the partner's patient rule. `reference-only`: no Patient leaves navbridge; every reference to
 * one becomes a logical reference by NHS / CHI / H&C number (GP and trust systems own the record).
 */
export function applyPatientRule(resources: readonly Resource[], partner: PartnerConfig): Resource[] {
  if (partner.patients !== 'reference-only') return [...resources];
  // Partners that own the patient record (GP and trust systems) never get a Patient written, and
  // never get an Organization known by its ODS code: the national directory owns organisations, and a
  // conditional update would overwrite the partner's own record of itself or its peers.
  const owned = new Map(
    resources
      .filter(
        (r) => r.resourceType === 'Patient' || (r.resourceType === 'Organization' && hasOdsIdentifier(r)),
      )
      .map((p) => [fullUrlOf(p), p]),
  );
  if (owned.size === 0) return [...resources];
  return resources
    .filter((r) => !owned.has(fullUrlOf(r)))
    .map((r) =>
      rewriteUrnReferences(r, (urn, original) => {
        const target = owned.get(urn);
        if (!target) return undefined;
        const ref = logicalReference(target, original);
        const name = target.resourceType === 'Organization' ? (target as { name?: string }).name : undefined;
        return name && !ref.display ? { ...ref, display: name } : ref;
      }),
    );
}

function hasOdsIdentifier(r: Resource): boolean {
  const ids = (r as { identifier?: { system?: string }[] }).identifier ?? [];
  return ids.some((i) => i.system === IDENTIFIER_SYSTEMS.ods);
}

/** Conditional create/update entry: PUT on the business identifier, Patients POST with ifNoneExist. */
function requestEntry(resource: Resource): BundleEntry {
  const type = resource.resourceType;
  const fullUrl = fullUrlOf(resource);
  if (type === 'Patient') {
    const ident = bestPatientIdentifier(resource);
    return {
      fullUrl,
      resource,
      request: {
        method: 'POST',
        url: type,
        ...(ident ? { ifNoneExist: `identifier=${identifierToken(ident)}` } : {}),
      },
    };
  }
  const ident = businessIdentifier(resource);
  return {
    fullUrl,
    resource,
    request: ident
      ? { method: 'PUT', url: `${type}?identifier=${identifierToken(ident)}` }
      : { method: 'POST', url: type },
  };
}

function transaction(resources: readonly Resource[], opts: PayloadOptions): Bundle {
  return {
    resourceType: 'Bundle',
    id: opts.bundleId,
    type: 'transaction',
    timestamp: opts.now,
    entry: dependencyOrder(resources).map(requestEntry),
  };
}

/** REST: no transaction resolves urn:uuids, so every reference becomes `{type, identifier}`. */
function rest(resources: readonly Resource[], opts: PayloadOptions): Bundle {
  const byUrl = new Map(resources.map((r) => [fullUrlOf(r), r]));
  const logical = resources.map((r) =>
    rewriteUrnReferences(r, (urn, ref) => {
      const target = byUrl.get(urn);
      return target ? logicalReference(target, ref) : undefined;
    }),
  );
  return transaction(logical, opts);
}

const SUPPORTING = new Set(['Patient', 'Organization', 'PractitionerRole', 'Flag']);

/**
 * The resources a message or document is about: those nothing else in the payload references. An
 * onward Task is about its ServiceRequest, which stays what the message is about (BaRS: the
 * servicerequest-request's focus is the ServiceRequest), so its references do not count, nor is it a root.
 */
export function mainResources(resources: readonly Resource[]): Resource[] {
  const byUrl = new Map(resources.map((r) => [fullUrlOf(r), r]));
  const companion = (r: Resource) => onwardTaskFocus(r, byUrl) !== undefined;
  const referenced = new Set(resources.filter((r) => !companion(r)).flatMap((r) => urnReferences(r)));
  const roots = resources.filter(
    (r) => !SUPPORTING.has(r.resourceType) && !companion(r) && !referenced.has(fullUrlOf(r)),
  );
  return roots.length > 0 ? roots : resources.slice(0, 1);
}

/**
 * BaRS message (src/payloads/bars-message.ts). Patients follow the partner's rule like every mode:
 * BaRS receivers store the message's resources, so a Patient in a response to a reference-only partner
 * would create one there; an onward referral request carries the person (`bars.patient`) to the
 * service that must contact them.
 */
function message(resources: readonly Resource[], opts: PayloadOptions): Bundle {
  return barsMessage(resources, {
    partner: opts.partner,
    version: opts.version,
    now: opts.now,
    bundleId: opts.bundleId,
    main: mainResources(resources),
    uuid: (part) => exchangeUuid(opts.exchangeKey, part),
    fallbackEndpoint: opts.sourceEndpoint ?? `${CANONICAL_BASE}/Endpoint/${opts.site}`,
    ...(opts.bars ? { bars: opts.bars } : {}),
  });
}

/**
 * The exact body to send for `mode`, from a route's resources (never changed: every form works on
 * copies). Patients follow the partner's rule (applyPatientRule) in every mode.
 */
export function buildPayload(
  mode: DeliveryMode,
  resources: readonly Resource[],
  opts: PayloadOptions,
): Bundle {
  const prepared = applyPatientRule(cloneJson([...resources]), opts.partner);
  switch (mode) {
    case 'transaction':
      return transaction(prepared, opts);
    case 'rest':
      return rest(prepared, opts);
    // Transaction and rest payloads keep navbridge's ids of resources outside them until sending, where
    // the partner's own ids are known (src/delivery/versioned-writes.ts); these two cannot wait.
    case 'message':
      return message(withLogicalReferences(prepared), opts);
    case 'document': {
      const docOpts: DocumentOptions = {
        partner: opts.partner,
        site: opts.site,
        now: opts.now,
        bundleId: opts.bundleId,
        uuid: (part) => exchangeUuid(opts.exchangeKey, part),
        ...(opts.authorDisplay ? { authorDisplay: opts.authorDisplay } : {}),
      };
      const document = buildDocument(withLogicalReferences(prepared), docOpts);
      return opts.partner.document.transport === 'document-reference'
        ? buildDocumentReference(document, {
            ...docOpts,
            bundleId: exchangeUuid(opts.exchangeKey, 'transaction'),
          })
        : document;
    }
  }
}
