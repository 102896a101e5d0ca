// Receive a partner's referral (FHIR ServiceRequest, transaction, or BaRS message), top to bottom:
// tolerant read → validation against base R4 → inverse mapping → tenancy and site → then ONE
// transaction: request-id claim, the referral's next version (under the record's lock), record,
// referral row, exchanges, links, inbound exchange and audit commit together or not at all. So
// concurrent identical resends get the answer a sequential resend gets, and concurrent different
// versions are ordered by the database. Queue jobs go after commit.

import { badRequest, isNavbridgeError, issue, notFound, unprocessable } from '../errors/index.js';
import { resourceId } from '../fhir/ids.js';
import { barsRequestOf } from '../intake/bars-request.js';
import { type BarsChecked, type InboundRead, readInbound } from '../intake/index.js';
import type { PartnerConfig } from '../settings/app-config.js';
import { auditAtCommit } from '../store/audit.js';
import { inTransaction, type Tx } from '../store/db.js';
import { resolveFailure } from '../store/failures.js';
import {
  copyOrigins,
  insertInboundExchange,
  isOurMessage,
  keepReplyAddress,
  linkOpenReferrals,
  requestIdTaken,
} from '../store/inbound.js';
import { getReferralAndRecord, lockRecord } from '../store/records.js';
import { authorize } from './authorize.js';
import { checkBarsMessage, claimRequest, duplicateRequest } from './bars-receiver.js';
import {
  assertValidResources,
  asUnprocessable,
  type InboundRequest,
  keepInboundFailure,
  type Mapped,
  mapRequest,
  nextVersion,
  partnerOf,
  type ReceiveOutcome,
  requesterOf,
} from './inbound-request.js';
import { referralServiceRequestVersion, versionIds } from './resource-versions.js';
import { checkSubmission, type SubmitOptions, storeRecord } from './submit.js';
import type { Caller, ServiceDeps } from './types.js';

export {
  auditRefusal,
  type InboundRequest,
  partnerOf,
  type ReceiveOutcome,
} from './inbound-request.js';

/**
 * The ServiceRequest's versionId after this request, as the caller's reads will answer it: that of the
 * newest copy made for the partner (src/service/resource-versions.ts); with none, the referral's.
 */
async function serviceRequestVersion(
  tx: Tx,
  partnerId: string,
  site: string,
  referralId: string,
  action: string | undefined,
  versions: { referral: number },
): Promise<string> {
  const origins = await copyOrigins(
    tx,
    partnerId,
    'ServiceRequest',
    resourceId(site, 'ServiceRequest', referralId),
  );
  const newest = origins.at(-1);
  return (
    (newest && versionIds('ServiceRequest', origins).get(newest.seq)) ??
    referralServiceRequestVersion(versions.referral, action)
  );
}

/** The referral's steps inside the transaction; returns the outcome and the jobs to queue. */
async function storeReferral(deps: ServiceDeps, tx: Tx, m: Mapped, req: InboundRequest, bars?: BarsChecked) {
  const { partner, read, mapped, site } = m;
  const now = deps.now();
  const settings = deps.mappings.tryGetSite(site)!;
  const referralId = mapped.referralId;
  await lockRecord(tx, site, 'referral', referralId);
  // The stored referral and its row in one read, handed to storeRecord (not read again there).
  const { record: stored, row } = await getReferralAndRecord(tx, site, referralId);
  const opts: SubmitOptions = {
    site,
    sourcePartnerId: partner.id,
    requester: { ...requesterOf(mapped, read.envelope.serviceRequestUrl), ...barsRequestOf(read.envelope) },
    nhsNumberCheck: settings.nhsNumberCheck.partner,
    ...(bars ? { replyTo: bars.replyTo } : {}),
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
      out = await storeRecord(deps, tx, checked, opts, { row, referralRecord: stored.payload });
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
      out = await storeRecord(deps, tx, checkSubmission(deps, 'referral', record, opts), opts, { row });
    }
  } catch (err) {
    throw asUnprocessable(err);
  }
  const { result } = out;
  // The reply address goes with the referral's row when the record wrote it (one round trip fewer).
  if (bars && !out.referralRowWritten) await keepReplyAddress(tx, site, referralId, bars.replyTo);
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
  // Sent with the COMMIT (one round trip fewer; the audit chain's head is held for that trip only).
  auditAtCommit(tx, {
    actor: `partner:${partner.id}`,
    sourceAddress: req.sourceAddress,
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
    serviceRequestVersion: await serviceRequestVersion(tx, partner.id, site, referralId, mapped.action, {
      referral: isNew ? result.version : stored!.version,
    }),
    result,
    linkedReferrals: linked,
    ...(read.envelope.message ? { messageId: read.envelope.message.answerId } : {}),
    warnings: [...result.warnings, ...read.notes, ...(bars?.warnings ?? []), ...linkWarning],
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
  // BaRS Core 1.5 Bundle processing: no response → 400 invariant; one naming nothing of ours → 404.
  if (!answered)
    throw badRequest('MessageHeader.response: a servicerequest-response names the message it answers', {
      code: 'invariant',
      expression: 'MessageHeader.response',
    });
  if (!(await isOurMessage(deps.db, partner.id, answered)))
    throw notFound('message sent to this partner that this response answers', {
      expression: 'MessageHeader.response.identifier',
    });
  await inTransaction(deps.db, async (tx) => {
    await claimRequest(tx, partner.id, req);
    auditAtCommit(tx, {
      actor: `partner:${partner.id}`,
      sourceAddress: req.sourceAddress,
      action: 'inbound-received',
      targetType: 'message',
      targetId: answered,
      detail: { event: message.event, ...(req.requestId ? { requestId: req.requestId } : {}) },
    });
  });
  return { kind: 'response-ack', messageId: message.answerId, linkedReferrals: [], warnings: read.notes };
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
  await authorize(deps, caller, { action: 'refer' });
  const partner = partnerOf(deps, caller);
  if (caller.address) req = { ...req, sourceAddress: caller.address };
  let site: string | undefined;
  try {
    const read = readInbound(req.kind, req.body);
    // BaRS processing order: version, destination, reply address, MessageDefinition, use case — then content.
    const bars = checkBarsMessage(deps, read);
    await assertValidResources(deps, read);
    if (read.envelope.message?.event === 'servicerequest-response')
      return await acknowledgeResponse(deps, partner, req, read);
    const m = await mapRequest(deps, partner, read, bars?.site);
    site = m.site;
    // The request id is claimed first, before the referral's lock is waited for: a repeat of a request
    // still being processed is answered at once (425), never queued behind it.
    const { outcome, jobs } = await inTransaction(deps.db, async (tx) => {
      await claimRequest(tx, partner.id, req, bars?.replyTo);
      const r = await storeReferral(deps, tx, m, req, bars);
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
      err.code !== 'REC_TOO_EARLY' &&
      (await requestIdTaken(deps.db, partner.id, req.requestId))
    )
      throw duplicateRequest();
    if (!opts.failureId && isNavbridgeError(err) && err.code === 'MAPPING_ERROR')
      await keepInboundFailure(deps, partner, req, site, err);
    throw err;
  }
}
