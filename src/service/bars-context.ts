// What a BaRS message says beyond a route's resources (issue 11 §2), from what navbridge keeps: the
// referral's requester as it sent it (request Bundle.id, ServiceRequest id and identifier, journey)
// and, for an onward referral, the person's Patient as the referral mapping writes it.
import type { Bundle, CarePlan, Consent, Patient, Reference } from 'fhir/r4.js';
import { type MappingContext, runMappingPipeline } from '../mapping/index.js';
import type { BarsContext } from '../payloads/bars-message.js';
import type { RecordType, Referral } from '../records/index.js';
import type { SiteSettings } from '../settings/site.js';
import type { ReferralRequester } from '../store/referrals.js';
import type { ServiceDeps } from './types.js';

export interface MessageExtras {
  requester?: ReferralRequester | undefined;
  /** An onward referral's Patient (support plans only). */
  patient?: Patient | undefined;
  /** The support plan an onward referral comes from, and the person's Consent if mapped (support plans only). */
  plan?: CarePlan | undefined;
  consent?: Consent | undefined;
}

/** The extras when some route goes to a message-mode partner (the referral is mapped once for its Patient). */
export async function messageExtras(
  deps: Pick<ServiceDeps, 'mappings'>,
  input: {
    recordType: RecordType;
    site: SiteSettings;
    context: MappingContext;
    referralRecord: Referral;
    /** The record's mapped Bundle (a support plan's holds its CarePlan and any Consent). */
    bundle?: Bundle;
  },
): Promise<MessageExtras> {
  const requester = input.context.referral?.requester as ReferralRequester | undefined;
  if (input.recordType !== 'support-plan') return { requester };
  const { bundle } = await runMappingPipeline(
    { mapping: (t, s) => deps.mappings.mapping(t, s).compiled },
    { recordType: 'referral', record: input.referralRecord, site: input.site, context: input.context },
  );
  const patient = bundle.entry?.map((e) => e.resource).find((r) => r?.resourceType === 'Patient');
  const own = (input.bundle?.entry ?? []).map((e) => e.resource);
  const plan = own.find((r) => r?.resourceType === 'CarePlan') as CarePlan | undefined;
  const consent = own.find((r) => r?.resourceType === 'Consent') as Consent | undefined;
  return {
    requester,
    patient: patient as Patient | undefined,
    ...(plan ? { plan } : {}),
    ...(consent ? { consent } : {}),
  };
}

/** The BaRS context of one message: the site as sender, the request answered, the journey. */
export function barsContext(site: SiteSettings, referralId: string, extras: MessageExtras): BarsContext {
  const ns = site.identifierNamespace.replace(/\/+$/, '');
  const r = extras.requester;
  const received = r?.journey;
  // The journey as the requester named it, else navbridge's own for this referral: the same id on
  // every response and on every onward referral made from it.
  const journey: Reference = received?.reference
    ? { reference: received.reference }
    : received?.identifier
      ? { type: 'EpisodeOfCare', identifier: received.identifier }
      : { type: 'EpisodeOfCare', identifier: { system: `${ns}/journey`, value: referralId } };
  const request = {
    ...(r?.requestBundleId ? { bundleId: r.requestBundleId } : {}),
    ...(r?.serviceRequestId ? { serviceRequestId: r.serviceRequestId } : {}),
    ...(r?.serviceRequestIdentifier ? { serviceRequestIdentifier: r.serviceRequestIdentifier } : {}),
  };
  return {
    sender: {
      name: site.name,
      ...(site.odsCode ? { odsCode: site.odsCode } : {}),
      ...(site.dosServiceIds[0] ? { dosServiceId: site.dosServiceIds[0] } : {}),
      ...(site.useCaseCategories[0] ? { useCaseCategory: site.useCaseCategories[0] } : {}),
    },
    referral: { system: `${ns}/referral`, value: referralId },
    ...(Object.keys(request).length ? { request } : {}),
    journey,
    ...(extras.patient ? { patient: extras.patient } : {}),
    ...(extras.plan ? { plan: extras.plan } : {}),
    ...(extras.consent ? { consent: extras.consent } : {}),
  };
}
