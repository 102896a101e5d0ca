// Routing and consent (docs/delivery.md): which partner receives which resources of a mapped Bundle,
// and what is withheld or unroutable — so every part of a record ends in a visible route. Pure.
import type { Bundle, Resource } from 'fhir/r4.js';
import {
  logicalReference,
  onwardTaskFocus,
  rewriteUrnReferences,
  urnReferences,
} from '../payloads/references.js';
import type { RecordType } from '../records/index.js';
import type { PartnerConfig, Receives } from '../settings/app-config.js';
import { CATEGORY_ORDER, resourceCategory } from './categories.js';
import {
  consentAllows,
  consentFlag,
  gpPartner,
  onwardPartner,
  onwardServiceOds,
  ROLE_ORDER,
  type RouteRole,
  type RoutingRecord,
  type RoutingReferral,
  referrerPartner,
} from './recipients.js';

export { isOnwardReferral, resourceCategory, SUPPORTING_TYPES } from './categories.js';
export type {
  RouteRole,
  RoutingOnwardReferral,
  RoutingRecord,
  RoutingReferral,
  SharingAgreement,
} from './recipients.js';
export { consentAllows } from './recipients.js';

export type RouteDecision = 'send' | 'withheld-no-consent' | 'no-route';

export interface Route {
  /** null for `no-route`. */
  partnerId: string | null;
  roles: RouteRole[];
  /** Bundle order; supporting resources included when a routed one references them (by urn:uuid). */
  resources: Resource[];
  decision: RouteDecision;
  /** Names categories, roles, consent flags and partner ids only: never patient data. */
  reason: string;
  categories: Receives[];
  /** Latest-version-wins key (assessment, support-plan), null when every version is delivered. */
  stateKey: string | null;
}

export interface RouteInput {
  recordType: RecordType;
  record: RoutingRecord;
  bundle: Bundle;
  /** The latest referral version (for a referral record, the record itself when omitted). */
  referral: RoutingReferral | undefined;
  /** The partner that sent the referral, when it came in through a partner. */
  sourcePartnerId?: string | undefined;
  partners: readonly PartnerConfig[];
}

interface Candidate {
  partner: PartnerConfig;
  role: RouteRole;
}

interface PartnerRouting {
  partner: PartnerConfig;
  roles: Set<RouteRole>;
  sent: Map<Resource, Set<RouteRole>>;
  withheld: Map<Resource, Set<RouteRole>>;
}

const STATEFUL: ReadonlySet<RecordType> = new Set(['assessment', 'support-plan']);

export function stateKeyFor(recordType: RecordType, record: RoutingRecord): string | null {
  return STATEFUL.has(recordType) ? `${record.site}|${recordType}|${record.id}` : null;
}

const sortCategories = (cs: Iterable<Receives>): Receives[] =>
  [...new Set(cs)].sort((a, b) => CATEGORY_ORDER.indexOf(a) - CATEGORY_ORDER.indexOf(b));
const sortRoles = (rs: Iterable<RouteRole>): RouteRole[] =>
  [...new Set(rs)].sort((a, b) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b));

/**
 * The resources that go together: `chosen` plus the supporting resources they reference (transitively),
 * in Bundle order; references to routable resources left out become logical identifier references, so
 * no payload carries a urn:uuid that does not resolve inside it.
 */
function assemble(chosen: Set<Resource>, all: readonly Resource[], byUrl: Map<string, Resource>) {
  const included = new Set(chosen);
  const queue = [...chosen];
  for (let r = queue.pop(); r; r = queue.pop()) {
    for (const urn of urnReferences(r)) {
      const target = byUrl.get(urn);
      if (target && !included.has(target) && resourceCategory(target) === null) {
        included.add(target);
        queue.push(target);
      }
    }
  }
  return all
    .filter((r) => included.has(r))
    .map((r) =>
      rewriteUrnReferences(r, (urn, ref) => {
        const target = byUrl.get(urn);
        return target && !included.has(target) ? logicalReference(target, ref) : undefined;
      }),
    );
}

function candidatesFor(
  resource: Resource,
  category: Receives,
  input: RouteInput,
  referrer: PartnerConfig | undefined,
  gp: PartnerConfig | undefined,
): Candidate[] {
  const out: Candidate[] = [];
  if (referrer) out.push({ partner: referrer, role: 'referrer' });
  if (gp) out.push({ partner: gp, role: 'gp' });
  if (category === 'onward-referral') {
    const service = onwardPartner(input.partners, onwardServiceOds(resource, input.record));
    if (service) out.push({ partner: service, role: 'onward-service' });
  }
  return out.filter((c) => c.partner.receives.includes(category));
}

function describe(assignments: Map<Resource, Set<RouteRole>>, verb: string): string {
  const parts = new Map<Receives, Set<RouteRole>>();
  for (const [r, roles] of assignments) {
    const c = resourceCategory(r);
    if (!c) continue;
    const set = parts.get(c) ?? new Set<RouteRole>();
    for (const role of roles) set.add(role);
    parts.set(c, set);
  }
  return sortCategories(parts.keys())
    .map((c) => {
      const roles = sortRoles(parts.get(c) ?? []);
      const flags = [...new Set(roles.map((role) => `sharing.${consentFlag(c, role)}`))];
      return `${c} ${verb} ${roles.join('+')} (${flags.join(', ')})`;
    })
    .join('; ');
}

/** One route per recipient partner and decision, then one `no-route` per category nobody can receive. */
export function routeBundle(input: RouteInput): Route[] {
  const all = (input.bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  const byUrl = new Map<string, Resource>();
  for (const e of input.bundle.entry ?? []) {
    if (e.resource) byUrl.set(e.fullUrl ?? `urn:uuid:${e.resource.id ?? ''}`, e.resource);
  }
  const referral =
    input.referral ?? (input.recordType === 'referral' ? (input.record as RoutingReferral) : undefined);
  const referrer = referrerPartner(input.partners, referral, input.sourcePartnerId);
  const gp = gpPartner(input.partners, referral);
  const stateKey = stateKeyFor(input.recordType, input.record);

  const perPartner = new Map<string, PartnerRouting>();
  const unroutable = new Map<Receives, Resource[]>();
  for (const resource of all) {
    const category = resourceCategory(resource);
    if (!category) continue;
    // An onward Task goes exactly where its onward ServiceRequest goes (the service it names).
    const routedAs = onwardTaskFocus(resource, byUrl) ?? resource;
    const candidates = candidatesFor(routedAs, category, input, referrer, gp);
    if (candidates.length === 0) {
      unroutable.set(category, [...(unroutable.get(category) ?? []), resource]);
      continue;
    }
    for (const { partner, role } of candidates) {
      const pr = perPartner.get(partner.id) ?? {
        partner,
        roles: new Set<RouteRole>(),
        sent: new Map(),
        withheld: new Map(),
      };
      perPartner.set(partner.id, pr);
      pr.roles.add(role);
      const allowed = consentAllows(category, role, referral?.sharing);
      const target = allowed ? pr.sent : pr.withheld;
      target.set(resource, (target.get(resource) ?? new Set<RouteRole>()).add(role));
    }
  }

  const routes: Route[] = [];
  const ordered = [...perPartner.values()].sort((a, b) => (a.partner.id < b.partner.id ? -1 : 1));
  for (const pr of ordered) {
    // Consent is satisfied when any of the partner's roles allows: a resource sent is not also withheld.
    for (const r of pr.sent.keys()) pr.withheld.delete(r);
    const roles = sortRoles(pr.roles);
    const categoriesOf = (m: Map<Resource, unknown>) =>
      sortCategories([...m.keys()].flatMap((r) => resourceCategory(r) ?? []));
    if (pr.sent.size > 0) {
      routes.push({
        partnerId: pr.partner.id,
        roles,
        resources: assemble(new Set(pr.sent.keys()), all, byUrl),
        decision: 'send',
        reason: describe(pr.sent, 'to'),
        categories: categoriesOf(pr.sent),
        stateKey,
      });
    }
    if (pr.withheld.size > 0) {
      routes.push({
        partnerId: pr.partner.id,
        roles,
        resources: assemble(new Set(pr.withheld.keys()), all, byUrl),
        decision: 'withheld-no-consent',
        reason: `no consent: ${describe(pr.withheld, 'not agreed for')}`,
        categories: categoriesOf(pr.withheld),
        stateKey,
      });
    }
  }
  for (const category of sortCategories(unroutable.keys())) {
    const seen = (p: PartnerConfig | undefined) =>
      !p ? 'none' : p.receives.includes(category) ? p.id : `${p.id} (does not receive it)`;
    const found = [
      `referrer partner: ${seen(referrer)}`,
      `GP partner: ${seen(gp)}`,
      ...(category === 'onward-referral' ? ['onward service partner: none receiving it'] : []),
    ];
    routes.push({
      partnerId: null,
      roles: [],
      resources: assemble(new Set(unroutable.get(category)), all, byUrl),
      decision: 'no-route',
      reason: `no partner receives ${category} (${found.join(', ')})`,
      categories: [category],
      stateKey,
    });
  }
  return routes;
}
