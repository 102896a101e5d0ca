// Tolerant reader (pure): rewrites the variants real feeds carry into canonical forms before the
// inverse mapping sees them — http vs https and letter case on NHS identifier systems, 'Codesystem',
// retired HL7 code system URLs, dateTimes without seconds. Each rewrite is noted (path only, no value).
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { issue } from '../errors/index.js';

/** Retired HL7 code system URLs (FHIR DSTU2/STU3 era) → their R4 terminology.hl7.org form. */
export const RETIRED_SYSTEMS: Readonly<Record<string, string>> = {
  'http://hl7.org/fhir/v3/ActCode': 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  'http://hl7.org/fhir/v3/ReligiousAffiliation':
    'http://terminology.hl7.org/CodeSystem/v3-ReligiousAffiliation',
  'http://hl7.org/fhir/v2/0203': 'http://terminology.hl7.org/CodeSystem/v2-0203',
  'http://hl7.org/fhir/consentscope': 'http://terminology.hl7.org/CodeSystem/consentscope',
  'http://hl7.org/fhir/consentcategorycodes': 'http://terminology.hl7.org/CodeSystem/consentcategorycodes',
  'http://hl7.org/fhir/flag-category': 'http://terminology.hl7.org/CodeSystem/flag-category',
  'http://hl7.org/fhir/message-events': 'http://terminology.hl7.org/CodeSystem/message-events',
  // BaRS before 1.0 named its message event and reason code systems differently.
  'https://fhir.nhs.uk/CodeSystem/message-event-servicerequest':
    'https://fhir.nhs.uk/CodeSystem/message-events-bars',
  'https://fhir.nhs.uk/CodeSystem/message-reason-servicerequest':
    'https://fhir.nhs.uk/CodeSystem/message-reason-bars',
};

// NHS England publishes its identifier and code systems under https://fhir.nhs.uk/Id/ and
// /CodeSystem/; feeds send http://, lower-case 'id' and 'Codesystem' (as in BaRS's own examples).
const NHS_SYSTEM = /^https?:\/\/fhir\.nhs\.uk\/(id|Id|ID|codesystem|Codesystem|CodeSystem|CODESYSTEM)\/(.+)$/;

function canonicalSystem(value: string): string {
  const m = NHS_SYSTEM.exec(value);
  const nhs = m ? `https://fhir.nhs.uk/${m[1]!.toLowerCase() === 'id' ? 'Id' : 'CodeSystem'}/${m[2]}` : value;
  return RETIRED_SYSTEMS[nhs] ?? nhs;
}

// A dateTime with hours and minutes but no seconds is not valid FHIR; feeds send it anyway.
const NO_SECONDS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$/;
// A "+0000" offset without the colon.
const BARE_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(\d{2})$/;

function canonicalDateTime(value: string): string {
  const b = BARE_OFFSET.exec(value);
  const v = b ? `${b[1]}${b[2]}:${b[3]}` : value;
  const m = NO_SECONDS.exec(v);
  return m ? `${m[1]}:00${m[2]}` : v;
}

/** Elements holding a system URL (Coding.system, Identifier.system, MessageHeader endpoints' systems). */
const SYSTEM_KEYS = new Set(['system']);
const DATETIME_KEY =
  /(DateTime|^authoredOn$|^timestamp$|^start$|^end$|^lastUpdated$|^issued$|^recorded$|^dateTime$|^occurrenceDateTime$)/;

export interface NormaliseResult<T> {
  value: T;
  /** Informational notes: which paths were rewritten to their canonical form. */
  notes: OperationOutcomeIssue[];
}

/**
 * Returns a copy with canonical forms. Also rewrites `<system>|<value>` endpoint tokens (BaRS
 * MessageHeader endpoints name a DoS service id that way).
 */
export function normaliseInbound<T>(input: T): NormaliseResult<T> {
  const rewritten = new Set<string>();
  const walk = (v: unknown, path: string, key: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, key));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, path ? `${path}.${k}` : k, k);
      return out;
    }
    if (typeof v !== 'string') return v;
    let next = v;
    if (SYSTEM_KEYS.has(key)) next = canonicalSystem(v);
    else if (key === 'endpoint' && v.includes('|')) {
      const [sys, ...rest] = v.split('|');
      next = `${canonicalSystem(sys ?? '')}|${rest.join('|')}`;
    } else if (DATETIME_KEY.test(key)) next = canonicalDateTime(v);
    if (next !== v) rewritten.add(path.replace(/\[\d+\]/g, ''));
    return next;
  };
  const value = walk(input, '', '') as T;
  const notes = [...rewritten].sort().map((p) =>
    issue({
      severity: 'information',
      code: 'informational',
      diagnostics: `${p}: a variant form was read and stored in its canonical form`,
      expression: p,
      errorCode: 'TOLERANT_READ',
    }),
  );
  return { value, notes };
}
