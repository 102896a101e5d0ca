// BaRS message mode (API 1.x, $process-message; compared field by field with the real examples in
// test/conformance): MessageHeader first, then the sender's and receiver's Organizations, the journey's
// Encounter and the route's resources. An onward referral is a `servicerequest-request` carrying the
// Patient and its category; everything else answers the referral navbridge received — status,
// assessment, plan, discharge — as a `servicerequest-response` naming the request it answers and
// carrying the requester's own ServiceRequest (its id and identifier as sent), never navbridge's copy.
import type {
  Bundle,
  BundleEntry,
  CarePlan,
  CodeableConcept,
  Consent,
  Encounter,
  HealthcareService,
  MessageHeader,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  Resource,
} from 'fhir/r4.js';
import { IDENTIFIER_SYSTEMS } from '../fhir/canonical.js';
import { BARS_CORE_VERSION, USE_CASE_SYSTEM } from '../intake/message-definitions.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { fullUrlOf, isOnwardReferral } from './references.js';

type Ident = { system: string; value: string };

export const BARS_EVENTS = 'https://fhir.nhs.uk/CodeSystem/message-events-bars';
export const BARS_REASONS = 'https://fhir.nhs.uk/CodeSystem/message-reason-bars';
export const DOS_SERVICE_ID = 'https://fhir.nhs.uk/Id/dos-service-id';
const BARS_CATEGORY = 'https://fhir.nhs.uk/CodeSystem/message-category-servicerequest';
const RFC4122 = 'https://tools.ietf.org/html/rfc4122';
/** Carries navbridge's `Type/id` of a re-identified resource to its Bundle entry (never sent as such). */
const ALIAS = Symbol('navbridge-id');
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What a BaRS message says beyond the route's resources (built by the service from its store). */
export interface BarsContext {
  /** The navigator site: MessageHeader.sender, source.name and source.endpoint (its DoS id). */
  sender: {
    name: string;
    odsCode?: string;
    dosServiceId?: string;
    /** The site's BaRS use case (its first `useCaseCategories`): onward requests' default. */
    useCaseCategory?: string;
  };
  /** navbridge's business identifier of the referral the message is about. */
  referral: Ident;
  /** The referral as its requester sent it over BaRS (src/intake/bars-request.ts), when it came so. */
  request?: {
    bundleId?: string;
    serviceRequestId?: string;
    serviceRequestIdentifier?: Ident;
  };
  /** Encounter.episodeOfCare: the journey as received with the referral, else navbridge's for it. */
  journey: Reference;
  /** An onward servicerequest-request: the person's Patient (demographics, contact details). */
  patient?: Patient;
  /** An onward servicerequest-request: the support plan it comes from (the plan's mapped CarePlan). */
  plan?: CarePlan;
  /** An onward servicerequest-request: the person's Consent, when the plan's mapping writes one. */
  consent?: Consent;
}

export interface MessageOptions {
  partner: PartnerConfig;
  version: number;
  now: string;
  bundleId: string;
  /** The resources the message is about (MessageHeader.focus). */
  main: readonly Resource[];
  /** Deterministic UUID per part: a resend builds the same message. */
  uuid: (part: string) => string;
  /** Without a site DoS id: where replies go (default: navbridge's Endpoint for the site). */
  fallbackEndpoint: string;
  bars?: BarsContext;
}

const sameIdent = (a: { system?: string; value?: string } | undefined, b: Ident) =>
  a?.system === b.system && a?.value === b.value;

function identifiersOf(r: Resource): { system?: string; value?: string }[] {
  const i = (r as { identifier?: unknown }).identifier;
  return (Array.isArray(i) ? i : i ? [i] : []) as { system?: string; value?: string }[];
}

function organization(id: string, name: string, ods: string | undefined): Organization {
  return {
    resourceType: 'Organization',
    id,
    ...(ods ? { identifier: [{ system: IDENTIFIER_SYSTEMS.ods, value: ods }] } : {}),
    name,
  };
}

/** Rewrites every Reference (urn or logical) that `target` answers for; the rest kept as they are. */
function relink(resources: Resource[], target: (ref: Reference) => Reference | undefined): Resource[] {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if (typeof o.reference === 'string' || (typeof o.type === 'string' && o.identifier)) {
      const hit = target(o as Reference);
      if (hit) return hit;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, k === 'identifier' ? x : walk(x)]));
  };
  return resources.map((r) => walk(r) as Resource);
}

/**
 * A response names the requester's ServiceRequest: navbridge's copy in the route (if any) takes the
 * requester's id and identifier, and every reference to navbridge's referral points at it.
 */
function asRequesters(resources: Resource[], bars: BarsContext, uuid: MessageOptions['uuid']): Resource[] {
  const req = bars.request;
  if (!req?.serviceRequestId && !req?.serviceRequestIdentifier) return resources;
  const ours = resources.find(
    (r) => r.resourceType === 'ServiceRequest' && identifiersOf(r).some((i) => sameIdent(i, bars.referral)),
  );
  const theirId = req.serviceRequestId ?? uuid('requester-ServiceRequest');
  const theirUrl = `urn:uuid:${UUID.test(theirId) ? theirId : uuid('requester-ServiceRequest')}`;
  const theirs: Reference | undefined = ours
    ? { reference: theirUrl }
    : req.serviceRequestIdentifier
      ? { type: 'ServiceRequest', identifier: req.serviceRequestIdentifier }
      : { reference: `ServiceRequest/${theirId}` };
  const ourUrl = ours ? fullUrlOf(ours) : undefined;
  const relinked = relink(resources, (ref) =>
    (ourUrl && ref.reference === ourUrl) || (!ref.reference && sameIdent(ref.identifier, bars.referral))
      ? { ...theirs, ...(ref.display ? { display: ref.display } : {}) }
      : undefined,
  );
  return relinked.map((r) => {
    if (!ours || fullUrlOf(r) !== ourUrl) return r;
    const { identifier: _ours, ...rest } = r as Resource & { identifier?: unknown };
    return {
      ...rest,
      [ALIAS]: `ServiceRequest/${ours.id}`,
      id: theirUrl.slice('urn:uuid:'.length),
      ...(req.serviceRequestIdentifier ? { identifier: [req.serviceRequestIdentifier] } : {}),
    } as Resource;
  });
}

/**
 * An onward referral carries the person (the receiving service must be able to contact them): the
 * Patient is added (order kept) and the logical references to it point at its entry.
 */
function withPatient(resources: Resource[], patient: Patient): Resource[] {
  if (resources.some((r) => r.resourceType === 'Patient')) return resources;
  const url = fullUrlOf(patient);
  const own = identifiersOf(patient);
  const relinked = relink(resources, (ref) =>
    ref.type === 'Patient' &&
    !ref.reference &&
    own.some((i) => ref.identifier && sameIdent(i, ref.identifier as Ident))
      ? { reference: url }
      : undefined,
  );
  return [...relinked, patient];
}

const REFERRAL_CATEGORY: CodeableConcept = { coding: [{ system: BARS_CATEGORY, code: 'referral' }] };

/**
 * The BaRS use case of an onward request (BaRS Core: a receiver refuses a use case it does not take):
 * the receiving partner's `useCaseCategory`, else the sending site's own; with neither none is carried
 * (BaRS 1.0–1.4 senders carry none, and receivers accept that).
 */
export function onwardUseCase(
  partner: PartnerConfig,
  bars: BarsContext | undefined,
): CodeableConcept | undefined {
  const code = partner.useCaseCategory ?? bars?.sender.useCaseCategory;
  return code ? { coding: [{ system: USE_CASE_SYSTEM, code }] } : undefined;
}

/** The onward ServiceRequest's categories: BaRS's `referral` and the use case, each unless already there. */
function onwardCategories(existing: readonly CodeableConcept[], useCase: CodeableConcept | undefined) {
  const has = (system: string) => existing.some((c) => c.coding?.some((x) => x.system === system));
  return [
    ...existing,
    ...(has(BARS_CATEGORY) ? [] : [REFERRAL_CATEGORY]),
    ...(useCase && !has(USE_CASE_SYSTEM) ? [useCase] : []),
  ];
}

function subjectOf(main: readonly Resource[]): Reference | undefined {
  for (const r of main) {
    const s = (r as { subject?: Reference; for?: Reference }).subject ?? (r as { for?: Reference }).for;
    if (s) return s;
  }
  return undefined;
}

const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const LOINC = 'http://loinc.org';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

interface OnwardParties {
  uuid: MessageOptions['uuid'];
  partner: PartnerConfig;
  bars: BarsContext;
  receiver: Organization;
  sender: Organization | undefined;
}

/**
 * What BaRS's referral MessageDefinition wants beside the ServiceRequest, from what navbridge has
 * (src/intake/message-definitions.ts, the check navbridge's own receiver makes): the support plan
 * (only its identity, dates, author and the activity that is this referral: no goals, notes or other
 * services' referrals), the navigator as Practitioner and PractitionerRole, the person's Consent to
 * share with onward services and the receiving HealthcareService. Types the route already carries
 * are not added again.
 */
function onwardSupport(
  resources: readonly Resource[],
  main: readonly Resource[],
  p: OnwardParties,
): Resource[] {
  const has = (type: string) => resources.some((r) => r.resourceType === type);
  const sr = main.find(isOnwardReferral) as
    | (Resource & { subject?: Reference; requester?: Reference })
    | undefined;
  const patient = sr?.subject;
  const plan = p.bars.plan;
  const out: Resource[] = [];
  // The navigator: the plan's author, else the referral's requester (identifier and name only).
  const navigator = plan?.author ?? sr?.requester;
  const existingRole = resources.find((r) => r.resourceType === 'PractitionerRole') as
    | PractitionerRole
    | undefined;
  let practitioner: Practitioner | undefined;
  if (!has('Practitioner') && (navigator?.identifier || navigator?.display)) {
    practitioner = {
      resourceType: 'Practitioner',
      id: p.uuid('Practitioner'),
      ...(navigator.identifier ? { identifier: [navigator.identifier] } : {}),
      ...(navigator.display ? { name: [{ text: navigator.display }] } : {}),
    };
    out.push(practitioner);
  }
  let role: PractitionerRole | undefined = existingRole;
  if (!existingRole && practitioner) {
    role = {
      resourceType: 'PractitionerRole',
      id: p.uuid('PractitionerRole'),
      active: true,
      practitioner: { reference: fullUrlOf(practitioner) },
      ...(p.sender ? { organization: { reference: fullUrlOf(p.sender) } } : {}),
    };
    out.push(role);
  }
  if (plan && !has('CarePlan') && sr) {
    const srUrl = fullUrlOf(sr);
    const author = role ?? practitioner;
    const carePlan: CarePlan = {
      resourceType: 'CarePlan',
      id: plan.id ?? p.uuid('CarePlan'),
      ...(plan.meta ? { meta: plan.meta } : {}),
      ...(plan.identifier ? { identifier: plan.identifier } : {}),
      status: plan.status,
      intent: plan.intent,
      ...(plan.title ? { title: plan.title } : {}),
      subject: patient ?? plan.subject,
      ...(plan.period ? { period: plan.period } : {}),
      ...(author
        ? {
            author: {
              reference: fullUrlOf(author),
              ...(navigator?.display ? { display: navigator.display } : {}),
            },
          }
        : {}),
      activity: [{ reference: { reference: srUrl } }],
    };
    out.push(carePlan);
  }
  if (!has('Consent')) {
    // Routing sends an onward referral only when the person agreed to share with onward services
    // (src/routing consentAllows, sharing.withOnwardServices): the message states that decision.
    const consent: Consent = p.bars.consent
      ? { ...p.bars.consent, ...(patient ? { patient } : {}) }
      : {
          resourceType: 'Consent',
          id: p.uuid('Consent'),
          status: 'active',
          scope: { coding: [{ system: CONSENT_SCOPE, code: 'patient-privacy' }] },
          category: [{ coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] }],
          ...(patient ? { patient } : {}),
          policyRule: { coding: [{ system: ACT_CODE, code: 'OPTIN' }] },
          provision: {
            type: 'permit',
            actor: [
              {
                role: {
                  coding: [
                    { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' },
                  ],
                },
                reference: { reference: fullUrlOf(p.receiver) },
              },
            ],
          },
        };
    out.push(consent);
  }
  if (!has('HealthcareService')) {
    const service: HealthcareService = {
      resourceType: 'HealthcareService',
      id: p.uuid('HealthcareService'),
      ...(p.partner.dosServiceId
        ? { identifier: [{ system: DOS_SERVICE_ID, value: p.partner.dosServiceId }] }
        : {}),
      active: true,
      providedBy: { reference: fullUrlOf(p.receiver) },
      name: p.partner.name,
    };
    out.push(service);
  }
  return out;
}

export function barsMessage(routeResources: readonly Resource[], o: MessageOptions): Bundle {
  const { partner, bars } = o;
  const isRequest = o.main.some(isOnwardReferral);
  const event = isRequest ? 'servicerequest-request' : 'servicerequest-response';
  let resources = [...routeResources];
  if (bars && !isRequest) resources = asRequesters(resources, bars, o.uuid);
  if (bars?.patient && isRequest) resources = withPatient(resources, bars.patient);
  // Rewrites keep the route's order: the resources the message is about, as rewritten.
  const main = o.main.map((m) => resources[routeResources.indexOf(m)] ?? m);

  const encounter: Encounter | undefined = bars && {
    resourceType: 'Encounter',
    id: o.uuid('Encounter'),
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    ...(subjectOf(main) ? { subject: subjectOf(main) } : {}),
    episodeOfCare: [bars.journey],
  };
  if (encounter && bars) {
    const encUrl = fullUrlOf(encounter);
    const useCase = onwardUseCase(partner, bars);
    resources = resources.map((r) => {
      if (r.resourceType !== 'ServiceRequest') return r;
      const sr = r as Resource & { encounter?: Reference; category?: CodeableConcept[] };
      return {
        ...sr,
        ...(sr.encounter ? {} : { encounter: { reference: encUrl } }),
        ...(isOnwardReferral(r) ? { category: onwardCategories(sr.category ?? [], useCase) } : {}),
      } as Resource;
    });
  }
  const sender = bars && organization(o.uuid('sender'), bars.sender.name, bars.sender.odsCode);
  const receiver = organization(o.uuid('receiver'), partner.name, partner.odsCodes[0]);
  const headerId = o.uuid('MessageHeader');
  const answered = !isRequest ? bars?.request?.bundleId : undefined;
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: headerId,
    eventCoding: { system: BARS_EVENTS, code: event },
    destination: [
      {
        name: partner.name,
        endpoint: partner.dosServiceId ? `${DOS_SERVICE_ID}|${partner.dosServiceId}` : partner.baseUrl,
        receiver: { reference: fullUrlOf(receiver) },
      },
    ],
    ...(sender ? { sender: { reference: fullUrlOf(sender) } } : {}),
    source: {
      name: bars?.sender.name ?? 'navbridge',
      software: 'navbridge',
      endpoint: bars?.sender.dosServiceId
        ? `${DOS_SERVICE_ID}|${bars.sender.dosServiceId}`
        : o.fallbackEndpoint,
    },
    reason: { coding: [{ system: BARS_REASONS, code: o.version <= 1 ? 'new' : 'update' }] },
    ...(answered ? { response: { identifier: answered, code: 'ok' } } : {}),
    focus: main.map((r): Reference => ({ reference: fullUrlOf(r) })),
    definition: `https://fhir.nhs.uk/MessageDefinition/bars-message-${event}-referral`,
  };
  const onward =
    bars && isRequest
      ? onwardSupport(resources, main, { uuid: o.uuid, partner, bars, receiver, sender })
      : [];
  const entries = [
    receiver,
    ...(sender ? [sender] : []),
    ...(encounter ? [encounter] : []),
    ...resources,
    ...onward,
  ];
  // The requester's ServiceRequest is navbridge's copy under their id: navbridge still serves it to
  // the partner as `ServiceRequest/<navbridge id>` (the id its synchronous answer gave), so say so.
  const alias = (r: Resource) => (r as { [ALIAS]?: string })[ALIAS];
  return {
    resourceType: 'Bundle',
    id: o.bundleId,
    // BaRS Core "Bundle processing": the BaRS version the message follows (a receiver refuses a message
    // without it, 400, as navbridge's own does: src/intake/bars-message.ts assertBarsVersion).
    meta: { versionId: BARS_CORE_VERSION },
    identifier: { system: RFC4122, value: o.uuid('Bundle') },
    type: 'message',
    timestamp: o.now,
    entry: [
      { fullUrl: `urn:uuid:${headerId}`, resource: header },
      ...entries.map((r): BundleEntry => {
        const was = alias(r);
        if (!was) return { fullUrl: fullUrlOf(r), resource: r };
        const { [ALIAS]: _was, ...resource } = r as Resource & { [ALIAS]?: string };
        return {
          fullUrl: fullUrlOf(r),
          resource: resource as Resource,
          link: [{ relation: 'alternate', url: was }],
        };
      }),
    ],
  };
}
