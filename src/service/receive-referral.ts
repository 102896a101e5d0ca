// Receive a partner's referral (FHIR ServiceRequest, transaction, or BaRS message), top to bottom:
// tolerant read → validation against base R4 → inverse mapping → tenancy and site → then ONE
// transaction: request-id claim, the referral's next version (under the record's lock), record,
// referral row, exchanges, links, inbound exchange and audit commit together or not at all. So
// concurrent identical resends get the answer a sequential resend gets, and concurrent different
// versions are ordered by the database. Queue jobs go after commit.

import { isDeepStrictEqual } from 'node:util';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import {
  badRequest,
  configError,
  conflict,
  forbidden,
  isNavbridgeError,
  issue,
  type NavbridgeError,
  relabel,
  unprocessable,
} from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import {
  type InboundKind,
  type InboundMapResult,
  type InboundRead,
  mapInbound,
  readInbound,
} from '../intake/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { audit } from '../store/audit.js';
import { inTransaction, type Tx } from '../store/db.js';
import { keepFailure, resolveFailure } from '../store/failures.js';
import {
  claimRequestId,
  insertInboundExchange,
  isOurMessage,
  linkOpenReferrals,
  requestIdTaken,
} from '../store/inbound.js';
import { getRecord, lockRecord } from '../store/records.js';
import type { ReferralRequester } from '../store/referrals.js';
import { checkSubmission, type SubmitOptions, type SubmitResult, storeRecord } from './submit.js';
import { actorOf, type Caller, type ServiceDeps } from './types.js';

export interface InboundRequest {
  kind: InboundKind;
  body: unknown;
  /** X-Request-Id: unique per partner (a repeat is answered 409). */
  requestId?: string;
  /** X-Correlation-Id: kept with the inbound exchange and echoed. */
  correlationId?: string;
}

export interface ReceiveOutcome {
  kind: 'referral' | 'response-ack';
  action?: InboundMapResult['action'];
  site?: string;
  referralId?: string;
  /** navbridge's ServiceRequest id for the referral (Location, Task focus). */
  serviceRequestId?: string;
  result?: SubmitResult;
  linkedReferrals: string[];
  /** The request message id (BaRS), for the response's MessageHeader.response.identifier. */
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

/** The performer names a site by its ODS code, DoS id or id; else the partner's default site; else 422. */
function chooseSite(deps: ServiceDeps, partner: PartnerConfig, performer: readonly string[]): string {
  for (const p of performer) {
    const site = deps.mappings.sites.find((s) => {
      const settings = deps.mappings.tryGetSite(s);
      return s === p || settings?.odsCode === p || settings?.dosServiceIds.includes(p);
    });
    if (site) return site;
  }
  const fallback = partner.inbound?.defaultSite;
  if (fallback && deps.mappings.sites.includes(fallback)) return fallback;
  throw unprocessable(
    'ServiceRequest.performer: names no navigator site of this service, and the partner has no default site',
    { expression: 'ServiceRequest.performer', code: 'business-rule' },
  );
}

/** Record-level problems are business problems of an otherwise valid FHIR request: 422, record paths kept. */
function asUnprocessable(err: unknown): unknown {
  if (!isNavbridgeError(err) || err.code !== 'REC_BAD_REQUEST') return err;
  return unprocessable(
    relabel(err.outcome.issue, 'REC_UNPROCESSABLE_ENTITY').map((i) => ({
      ...i,
      diagnostics: `referral record ${i.diagnostics ?? ''}`.trim(),
    })),
  );
}

function requesterOf(m: InboundMapResult, srUrl: string | undefined): ReferralRequester {
  const ods = (m.record.referrer as { odsCode?: string } | undefined)?.odsCode;
  const real = !m.identity.system.startsWith('urn:navbridge:');
  return {
    ...(ods ? { odsCode: ods } : {}),
    ...(real ? { serviceRequestIdentifier: m.identity } : {}),
    ...(srUrl && /^https?:\/\//.test(srUrl) ? { serviceRequestUrl: srUrl } : {}),
  };
}

/**
 * Every resource received is validated against base FHIR R4 before it is mapped: structural problems
 * answer 400, invalid codes 422 (BaRS). Warnings do not stop a referral (real feeds carry many).
 */
function assertValidResources(deps: ServiceDeps, read: InboundRead): void {
  const errors = read.envelope.resources.flatMap((r, i) =>
    deps.validator
      .validateResource(r)
      .filter((x) => x.severity === 'error' || x.severity === 'fatal')
      .map((x) => ({ ...x, expression: x.expression ?? [`${r.resourceType}[${i}]`] })),
  );
  if (errors.length === 0) return;
  if (errors.every((x) => x.code === 'code-invalid'))
    throw unprocessable(relabel(errors, 'REC_UNPROCESSABLE_ENTITY'));
  throw badRequest(relabel(errors, 'REC_BAD_REQUEST'));
}

const duplicateRequest = () =>
  conflict('the message has been identified as having already been processed.', { code: 'duplicate' });

/** The same referral resent unchanged is a duplicate of its latest version; a changed one is the next. */
function nextVersion(
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

interface Mapped {
  partner: PartnerConfig;
  read: InboundRead;
  mapped: InboundMapResult;
  site: string;
}

/** Pure steps before the transaction: read, validate, map, tenancy, site. */
async function mapRequest(deps: ServiceDeps, partner: PartnerConfig, read: InboundRead): Promise<Mapped> {
  const name = partner.inbound?.mapping ?? 'fhir-referral';
  const mapping = deps.mappings.tryGetInbound(name);
  if (!mapping) throw configError(`mappings/inbound/${name}/mapping.yaml: no such inbound mapping`);
  const mapped = await mapInbound(
    mapping,
    read,
    { id: partner.id, name: partner.name, kind: partner.kind, odsCodes: partner.odsCodes },
    deps.now().toISOString(),
  );
  const requesterOds = (mapped.record.referrer as { odsCode?: string } | undefined)?.odsCode;
  if (requesterOds && !partner.odsCodes.includes(requesterOds))
    throw forbidden('ServiceRequest.requester: the requesting organisation is not one this client acts for');
  return { partner, read, mapped, site: chooseSite(deps, partner, [...new Set(mapped.performer)]) };
}

/** The referral's steps inside the transaction; returns the outcome and the jobs to queue. */
async function storeReferral(deps: ServiceDeps, tx: Tx, m: Mapped, req: InboundRequest) {
  const { partner, read, mapped, site } = m;
  const now = deps.now();
  const settings = deps.mappings.tryGetSite(site)!;
  const referralId = mapped.referralId;
  await lockRecord(tx, site, 'referral', referralId);
  const stored = await getRecord(tx, site, 'referral', referralId);
  const opts: SubmitOptions = {
    site,
    sourcePartnerId: partner.id,
    requester: requesterOf(mapped, read.envelope.serviceRequestUrl),
    nhsNumberCheck: settings.nhsNumberCheck.partner,
  };
  let out: Awaited<ReturnType<typeof storeRecord>>;
  try {
    if (mapped.action === 'withdraw' || mapped.action === 'retract') {
      if (!stored)
        throw unprocessable('ServiceRequest: no referral from this partner to cancel', {
          expression: 'ServiceRequest',
        });
      const event =
        mapped.action === 'withdraw'
          ? { type: 'withdrawn', id: `${referralId}-withdrawn` }
          : {
              type: 'entered-in-error',
              id: `${referralId}-retracted`,
              recordType: 'referral',
              recordId: referralId,
            };
      const checked = checkSubmission(
        deps,
        'event',
        { ...event, site, version: 1, referralId, at: now.toISOString() },
        opts,
      );
      out = await storeRecord(deps, tx, checked, opts);
    } else {
      const prev = stored?.payload as Record<string, unknown> | undefined;
      const record = {
        ...mapped.record,
        id: referralId,
        site,
        version: nextVersion(prev, stored?.version, mapped.record),
        // Receipt time stays the first receipt (service clocks run from it).
        receivedAt: (prev?.receivedAt as string | undefined) ?? now.toISOString(),
      };
      out = await storeRecord(deps, tx, checkSubmission(deps, 'referral', record, opts), opts);
    }
  } catch (err) {
    throw asUnprocessable(err);
  }
  const { result } = out;
  const isNew = mapped.action !== 'withdraw' && mapped.action !== 'retract';
  const linked =
    isNew && result.outcome === 'accepted' && result.version === 1
      ? await linkOpenReferrals(tx, site, referralId)
      : [];
  const exchangeId = await insertInboundExchange(tx, {
    partnerId: partner.id,
    site,
    recordType: result.recordType,
    sourceId: result.id,
    version: result.version,
    referralId,
    ...(req.requestId ? { requestId: req.requestId } : {}),
    ...(req.correlationId ? { correlationId: req.correlationId } : {}),
    payload: read.envelope.body,
  });
  await audit(tx, {
    actor: `partner:${partner.id}`,
    action: 'inbound-received',
    targetType: 'exchange',
    targetId: exchangeId,
    detail: {
      site,
      referralId,
      outcome: result.outcome,
      version: result.version,
      ...(req.requestId ? { requestId: req.requestId } : {}),
    },
  });
  const linkWarning = linked.length
    ? [
        issue({
          severity: 'information',
          code: 'informational',
          diagnostics: 'the person has another open referral at this service: linked for the navigator',
          errorCode: 'LINKED_REFERRAL',
        }),
      ]
    : [];
  const outcome: ReceiveOutcome = {
    kind: 'referral',
    action: mapped.action,
    site,
    referralId,
    serviceRequestId: resourceId(site, 'ServiceRequest', referralId),
    result,
    linkedReferrals: linked,
    ...(read.envelope.message ? { messageId: read.envelope.message.id } : {}),
    warnings: [...result.warnings, ...read.notes, ...linkWarning],
    exchangeId,
  };
  return { outcome, jobs: out.jobs };
}

/** A BaRS response to one of our messages: acknowledged once it names a message we sent to this partner. */
async function acknowledgeResponse(
  deps: ServiceDeps,
  partner: PartnerConfig,
  req: InboundRequest,
  read: InboundRead,
): Promise<ReceiveOutcome> {
  const message = read.envelope.message!;
  const answered = message.header.response?.identifier;
  if (!answered || !(await isOurMessage(deps.db, partner.id, answered)))
    throw unprocessable(
      'MessageHeader.response.identifier: answers no message navbridge sent to this partner',
      {
        expression: 'MessageHeader.response.identifier',
      },
    );
  await inTransaction(deps.db, async (tx) => {
    if (req.requestId && !(await claimRequestId(tx, partner.id, req.requestId, req.correlationId)))
      throw duplicateRequest();
    await audit(tx, {
      actor: `partner:${partner.id}`,
      action: 'inbound-received',
      targetType: 'message',
      targetId: answered,
      detail: { event: message.event, ...(req.requestId ? { requestId: req.requestId } : {}) },
    });
  });
  return { kind: 'response-ack', messageId: message.id, linkedReferrals: [], warnings: read.notes };
}

export interface ReceiveOptions {
  /** Set when this run is the remap of a kept failure: resolved in the same transaction. */
  failureId?: string;
}

export async function receiveReferral(
  deps: ServiceDeps,
  caller: Caller,
  req: InboundRequest,
  opts: ReceiveOptions = {},
): Promise<ReceiveOutcome> {
  const partner = partnerOf(deps, caller);
  let site: string | undefined;
  try {
    const read = readInbound(req.kind, req.body);
    assertValidResources(deps, read);
    if (read.envelope.message?.event === 'servicerequest-response')
      return await acknowledgeResponse(deps, partner, req, read);
    const m = await mapRequest(deps, partner, read);
    site = m.site;
    const { outcome, jobs } = await inTransaction(deps.db, async (tx) => {
      if (req.requestId && !(await claimRequestId(tx, partner.id, req.requestId, req.correlationId)))
        throw duplicateRequest();
      const r = await storeReferral(deps, tx, m, req);
      if (opts.failureId)
        await resolveFailure(tx, opts.failureId, {
          kind: 'inbound',
          exchangeId: r.outcome.exchangeId,
          referralId: r.outcome.referralId,
        });
      return r;
    });
    await deps.enqueue(jobs);
    return outcome;
  } catch (err) {
    // A request refused for what it is still answers 409 when its id was used before (BaRS).
    if (
      req.requestId &&
      isNavbridgeError(err) &&
      err.code !== 'REC_CONFLICT' &&
      (await requestIdTaken(deps.db, partner.id, req.requestId))
    )
      throw duplicateRequest();
    if (!opts.failureId && isNavbridgeError(err) && err.code === 'MAPPING_ERROR')
      await keepInboundFailure(deps, partner, req, site, err);
    throw err;
  }
}

/** Store first: an inbound request whose mapping failed is kept whole, to be received again by a remap. */
async function keepInboundFailure(
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
  });
}

/** A refused inbound request leaves an audit row (no patient data). Best effort: never hides the error. */
export async function auditRefusal(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  detail: { route: string; code: string; requestId?: string },
): Promise<void> {
  await audit(deps.db, {
    actor: actorOf(caller),
    action: 'inbound-refused',
    targetType: 'inbound-request',
    targetId: detail.requestId ?? null,
    detail,
  }).catch(() => {});
}
