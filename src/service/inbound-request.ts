// The steps of receiving a partner's referral that need no transaction: who the partner is, the
// tolerant read validated against base R4, the inverse mapping, tenancy (the requester the partner
// acts for) and the site; the next version of a resent referral; and what a refusal leaves behind
// (an audit row; the whole request, kept, when its mapping failed).
import { isDeepStrictEqual } from 'node:util';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import {
  badRequest,
  configError,
  forbidden,
  isNavbridgeError,
  issue,
  type NavbridgeError,
  relabel,
  unprocessable,
} from '../errors/index.js';
import type { InboundKind, InboundMapResult, InboundRead } from '../intake/index.js';
import { claimedRequesterOds, mapInbound } from '../intake/index.js';
import { inboundSites, type PartnerConfig } from '../settings/app-config.js';
import { audit } from '../store/audit.js';
import { keepFailure } from '../store/failures.js';
import type { ReferralRequester } from '../store/referrals.js';
import type { SubmitResult } from './submit.js';
import { type Caller, type ServiceDeps, whoOf } from './types.js';

export interface InboundRequest {
  kind: InboundKind;
  body: unknown;
  /** X-Request-Id: unique per partner (a repeat is answered 409). */
  requestId?: string;
  /** X-Correlation-Id: kept with the inbound exchange and echoed. */
  correlationId?: string;
  /** The client's network address (audit trail); set by the service from the caller. */
  sourceAddress?: string;
}

export interface ReceiveOutcome {
  kind: 'referral' | 'response-ack';
  action?: InboundMapResult['action'];
  site?: string;
  referralId?: string;
  /** navbridge's ServiceRequest id for the referral (Location, Task focus). */
  serviceRequestId?: string;
  /** Its FHIR versionId after this request (src/service/resource-versions.ts): the Location's `_history`. */
  serviceRequestVersion?: string;
  result?: SubmitResult;
  linkedReferrals: string[];
  /** What the answer names in MessageHeader.response.identifier (BaRS): the request's Bundle.id, else its message id. */
  messageId?: string;
  warnings: OperationOutcomeIssue[];
  exchangeId?: string;
}

/** The FHIR API is for referring partners: the caller's partner configuration, or 403. */
export function partnerOf(deps: Pick<ServiceDeps, 'partners'>, caller: Caller): PartnerConfig {
  const partner =
    caller.kind === 'partner' ? deps.partners.find((x) => x.id === caller.partnerId) : undefined;
  if (!partner) throw forbidden('the FHIR API is for referring partners');
  return partner;
}

/**
 * The performer names a site by its ODS code, DoS id or id; else the partner's default site; else 422.
 * A site the partner may not refer into (`inbound.sites`) is refused 403.
 */
export function chooseSite(deps: ServiceDeps, partner: PartnerConfig, performer: readonly string[]): string {
  const allowed = inboundSites(partner);
  for (const p of performer) {
    const site = deps.mappings.sites.find((s) => {
      const settings = deps.mappings.tryGetSite(s);
      return s === p || settings?.odsCode === p || settings?.dosServiceIds.includes(p);
    });
    if (site && allowed.includes(site)) return site;
    if (site)
      throw forbidden('ServiceRequest.performer: this partner may not refer into the service named', {
        expression: 'ServiceRequest.performer',
      });
  }
  const fallback = partner.inbound?.defaultSite;
  if (fallback && deps.mappings.sites.includes(fallback)) return fallback;
  throw unprocessable(
    'ServiceRequest.performer: names no navigator site of this service, and the partner has no default site',
    { expression: 'ServiceRequest.performer', code: 'business-rule' },
  );
}

/** Record-level problems are business problems of an otherwise valid FHIR request: 422, record paths kept. */
export function asUnprocessable(err: unknown): unknown {
  if (!isNavbridgeError(err) || err.code !== 'REC_BAD_REQUEST') return err;
  return unprocessable(
    relabel(err.outcome.issue, 'REC_UNPROCESSABLE_ENTITY').map((i) => ({
      ...i,
      diagnostics: `referral record ${i.diagnostics ?? ''}`.trim(),
    })),
  );
}

export function requesterOf(m: InboundMapResult, srUrl: string | undefined): ReferralRequester {
  const ods = (m.record.referrer as { odsCode?: string } | undefined)?.odsCode;
  const real = !m.identity.system.startsWith('urn:navbridge:');
  return {
    ...(ods ? { odsCode: ods } : {}),
    ...(real ? { serviceRequestIdentifier: m.identity } : {}),
    ...(srUrl && /^https?:\/\//.test(srUrl) ? { serviceRequestUrl: srUrl } : {}),
  };
}

/** Validation yields to the event loop after this much work, so one large request cannot stall others. */
const VALIDATION_SLICE_MS = 10;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Every resource received is validated against base FHIR R4 before it is mapped: structural problems
 * answer 400, invalid codes 422 (BaRS). Warnings do not stop a referral (real feeds carry many).
 * Resources are validated in slices of about VALIDATION_SLICE_MS: /health and other requests are
 * answered between them (the body limits bound each resource; rate limits bound each partner).
 */
export async function assertValidResources(deps: ServiceDeps, read: InboundRead): Promise<void> {
  const errors: OperationOutcomeIssue[] = [];
  let sliceStart = performance.now();
  for (const [i, r] of read.envelope.resources.entries()) {
    for (const x of deps.validator.validateResource(r))
      if (x.severity === 'error' || x.severity === 'fatal')
        errors.push({ ...x, expression: x.expression ?? [`${r.resourceType}[${i}]`] });
    if (performance.now() - sliceStart > VALIDATION_SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  if (errors.length === 0) return;
  if (errors.every((x) => x.code === 'code-invalid'))
    throw unprocessable(relabel(errors, 'REC_UNPROCESSABLE_ENTITY'));
  throw badRequest(relabel(errors, 'REC_BAD_REQUEST'));
}

/** The same referral resent unchanged is a duplicate of its latest version; a changed one is the next. */
export function nextVersion(
  stored: Record<string, unknown> | undefined,
  storedVersion: number | undefined,
  record: Record<string, unknown>,
): number {
  if (!stored || storedVersion === undefined) return 1;
  const strip = (r: Record<string, unknown>) => {
    const { version: _v, receivedAt: _r, id: _i, site: _s, ...rest } = r;
    return JSON.parse(JSON.stringify(rest));
  };
  return isDeepStrictEqual(strip(stored), strip(record)) ? storedVersion : storedVersion + 1;
}

export interface Mapped {
  partner: PartnerConfig;
  read: InboundRead;
  mapped: InboundMapResult;
  site: string;
}

/**
 * The requester is the authenticated partner: every ODS code the request names for its requester or
 * sender — in whatever form (see src/intake/requester.ts) — and the one the mapping kept must be the
 * partner's; a value that is not an ODS code (a homoglyph) is refused, not compared.
 */
function assertRequesterIsPartner(partner: PartnerConfig, read: InboundRead, mapped: InboundMapResult): void {
  const claimed = claimedRequesterOds(read.envelope);
  if (claimed.invalid.length > 0)
    throw unprocessable(
      claimed.invalid.map((path) =>
        issue({
          code: 'value',
          diagnostics: `${path}: not an ODS code (letters A–Z and digits only)`,
          expression: path,
          errorCode: 'REC_UNPROCESSABLE_ENTITY',
        }),
      ),
    );
  const kept = (mapped.record.referrer as { odsCode?: string } | undefined)?.odsCode;
  const foreign = [
    ...claimed.codes.filter((c) => !partner.odsCodes.includes(c.code)).map((c) => c.path),
    ...(kept && !partner.odsCodes.includes(kept) ? ['ServiceRequest.requester'] : []),
  ];
  if (foreign.length > 0)
    throw forbidden(`${foreign[0]}: the requesting organisation is not one this client acts for`, {
      expression: [...new Set(foreign)],
    });
}

/** Pure steps before the transaction: read, validate, map, tenancy, site (a BaRS destination's first). */
export async function mapRequest(
  deps: ServiceDeps,
  partner: PartnerConfig,
  read: InboundRead,
  destinationSite?: string,
): Promise<Mapped> {
  const name = partner.inbound?.mapping ?? 'fhir-referral';
  const mapping = deps.mappings.tryGetInbound(name);
  if (!mapping) throw configError(`mappings/inbound/${name}/mapping.yaml: no such inbound mapping`);
  const mapped = await mapInbound(
    mapping,
    read,
    { id: partner.id, name: partner.name, kind: partner.kind, odsCodes: partner.odsCodes },
    deps.now().toISOString(),
  );
  assertRequesterIsPartner(partner, read, mapped);
  // A BaRS message's destination names the site; the performer decides otherwise.
  const named = [...(destinationSite ? [destinationSite] : []), ...mapped.performer];
  return { partner, read, mapped, site: chooseSite(deps, partner, [...new Set(named)]) };
}

/** Store first: an inbound request whose mapping failed is kept whole, to be received again by a remap. */
export async function keepInboundFailure(
  deps: ServiceDeps,
  partner: PartnerConfig,
  req: InboundRequest,
  site: string | undefined,
  err: NavbridgeError,
): Promise<void> {
  await keepFailure(deps.db, {
    kind: 'inbound',
    partnerId: partner.id,
    ...(site ? { site } : {}),
    recordType: 'referral',
    input: req.body,
    options: {
      kind: req.kind,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      ...(req.correlationId ? { correlationId: req.correlationId } : {}),
    },
    error: err.outcome,
    hashKey: deps.personKey,
  });
}

/**
 * A request refused at the HTTP edge before any use case ran: blocked after too many failed
 * authentications (429), or the wrong kind of caller for the endpoint (403). Best effort.
 */
export async function auditEdgeRefusal(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller | undefined,
  r: { kind: 'failed-auth-limit' | 'wrong-kind'; route: string; address?: string | undefined },
): Promise<void> {
  const who = caller ? whoOf(caller) : { actor: 'anonymous' };
  await audit(deps.db, {
    ...who,
    ...(r.address && !who.sourceAddress ? { sourceAddress: r.address } : {}),
    action: r.kind === 'wrong-kind' ? 'access-denied' : 'authenticate',
    targetType: r.kind === 'wrong-kind' ? 'endpoint' : 'credential',
    targetId: r.kind === 'wrong-kind' ? r.route : null,
    outcome: r.kind === 'wrong-kind' ? 'denied' : 'failure',
    detail:
      r.kind === 'wrong-kind' ? { reason: 'wrong kind of caller' } : { reason: 'blocked', route: r.route },
  }).catch(() => {});
}

/** A refused inbound request leaves an audit row (no patient data). Best effort: never hides the error. */
export async function auditRefusal(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  detail: { route: string; code: string; requestId?: string },
): Promise<void> {
  await audit(deps.db, {
    ...whoOf(caller),
    outcome: 'failure',
    action: 'inbound-refused',
    targetType: 'inbound-request',
    targetId: detail.requestId ?? null,
    detail,
  }).catch(() => {});
}
