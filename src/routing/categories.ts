// Which delivery category (PartnerConfig.receives) a mapped resource belongs to, and which resources
// only travel with others (Patient, Organization, PractitionerRole, Flag, the inbound referral).
import type { Resource } from 'fhir/r4.js';
import { isOnwardReferral, isOnwardTask } from '../payloads/references.js';
import { RECEIVES, type Receives } from '../settings/app-config.js';

/** Category order: the order routes and reasons list categories in. */
export const CATEGORY_ORDER: readonly Receives[] = RECEIVES;

/** Resource types that never route on their own: they go where a routed resource references them. */
export const SUPPORTING_TYPES = ['Patient', 'Organization', 'PractitionerRole', 'Flag'] as const;

function identifiers(resource: Resource): { system?: string; value?: string }[] {
  const ident = (resource as { identifier?: unknown }).identifier;
  if (Array.isArray(ident)) return ident as { system?: string; value?: string }[];
  return ident && typeof ident === 'object' ? [ident as { system?: string; value?: string }] : [];
}

function communicationCategory(resource: Resource): Receives {
  const codes = ((resource as { category?: { coding?: { code?: string }[] }[] }).category ?? []).flatMap(
    (c) => (c.coding ?? []).map((k) => k.code),
  );
  if (codes.includes('escalation')) return 'escalation';
  if (codes.includes('discharge-summary')) return 'discharge';
  // Triage responses and any other navigator message answer the referral: direct care, like status.
  return 'referral-status';
}

/**
 * The delivery category of a resource, or null for a supporting resource (it travels with what
 * references it). The inbound referral ServiceRequest is supporting: the Task points at it.
 */
export function resourceCategory(resource: Resource): Receives | null {
  switch (resource.resourceType) {
    case 'Task':
      // An onward referral's Task travels with its ServiceRequest (same recipients, same consent).
      return isOnwardTask(resource) ? 'onward-referral' : 'referral-status';
    case 'QuestionnaireResponse':
      return 'assessment';
    case 'CarePlan':
    case 'Goal':
      return 'support-plan';
    case 'ServiceRequest':
      return isOnwardReferral(resource) ? 'onward-referral' : null;
    case 'Communication':
      return communicationCategory(resource);
    case 'Observation':
      return 'outcome';
    default:
      return null;
  }
}

export const businessIdentifiers = identifiers;
export { isOnwardReferral, isOnwardTask };
