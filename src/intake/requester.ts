// Which organisations an inbound request says it comes from (pure), whatever form the requester takes:
// a referenced or contained Organization, a logical identifier reference, a PractitionerRole's
// organization (itself referenced or by identifier), and a BaRS MessageHeader's sender. The service
// checks every code found against the authenticated partner's ODS codes.
import type { Identifier, Reference, Resource } from 'fhir/r4.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import type { InboundEnvelope } from './envelope.js';

/** An ODS code as the Organisation Data Service issues them: ASCII letters and digits only. */
const ODS_CODE = /^[A-Z0-9]{3,10}$/;

export interface ClaimedOds {
  /** Normalised codes (trimmed, upper case), each with the path it was read from. */
  codes: { code: string; path: string }[];
  /** Paths of ODS identifiers whose value is not an ODS code (non-ASCII look-alikes included). */
  invalid: string[];
}

/**
 * An ODS identifier's value, normalised: surrounding spaces dropped and ASCII letters upper-cased.
 * Anything else — a Cyrillic `В` for a Latin `B`, full-width digits, punctuation — is not an ODS code
 * (undefined): look-alikes are refused, never folded into a code they resemble.
 */
export function normaliseOds(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().replace(/[a-z]/g, (c) => c.toUpperCase());
  return ODS_CODE.test(v) ? v : undefined;
}

const isOds = (i: Identifier | undefined): boolean => i?.system === IDENTIFIER_SYSTEMS.ods;

export function claimedRequesterOds(envelope: InboundEnvelope): ClaimedOds {
  const out: ClaimedOds = { codes: [], invalid: [] };
  const note = (ids: readonly Identifier[] | Identifier | undefined, path: string) => {
    const list = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids as Identifier];
    list.forEach((i, n) => {
      if (!isOds(i)) return;
      const p = Array.isArray(ids) ? `${path}.identifier[${n}]` : `${path}.identifier`;
      const code = normaliseOds(i.value);
      if (code) out.codes.push({ code, path: p });
      else out.invalid.push(p);
    });
  };
  /** An Organization named by a reference: resolved in the request, or by its logical identifier. */
  const organisation = (ref: Reference | undefined, path: string, depth = 0) => {
    if (!ref || depth > 2) return;
    note(ref.identifier, path);
    const r = envelope.resolve(ref) as Resource | undefined;
    if (r?.resourceType === 'Organization')
      note((r as { identifier?: Identifier[] }).identifier, `${path}(Organization)`);
    if (r?.resourceType === 'PractitionerRole')
      organisation(
        (r as { organization?: Reference }).organization,
        `${path}(PractitionerRole).organization`,
        depth + 1,
      );
  };
  organisation(envelope.serviceRequest?.requester, 'ServiceRequest.requester');
  organisation(envelope.message?.header.sender, 'MessageHeader.sender');
  return out;
}
