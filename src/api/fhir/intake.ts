// One inbound referral request: tolerant read → inverse mapping → tenancy and site → the navigator
// service (new version, withdrawal or retraction) → the inbound exchange row. Structural failures
// store nothing here (the router writes the audit row).
import { isDeepStrictEqual } from 'node:util';
import type { OperationOutcomeIssue, Resource } from 'fhir/r4.js';
import type { PartnerConfig } from '../../settings/app-config.js';
import { resourceId } from '../../fhir/ids.js';
import { ERROR_CODE_SYSTEM, isNavbridgeError, issue, NavbridgeError } from '../../errors/index.js';
import {
  type InboundKind,
  type InboundMapResult,
  mapInbound,
  readInbound,
  unprocessable,
} from '../../intake/index.js';
import type { SubmitResult } from '../../service/submit.js';
import { insertInboundExchange, isOurMessage, linkOpenReferrals } from '../../store/inbound.js';
import { getRecord } from '../../store/records.js';
import type { ReferralRequester } from '../../store/referrals.js';
import type { BarsHeaders } from './headers.js';
import type { FhirDeps } from './types.js';

export interface IntakeOutcome {
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

const forbidden = (diagnostics: string) =>
  new NavbridgeError('REC_FORBIDDEN', [
    issue({ code: 'forbidden', diagnostics, errorCode: 'REC_FORBIDDEN' }),
  ]);

/** The performer names a site by its ODS code or id; else the partner's default site; else 422. */
function chooseSite(deps: FhirDeps, partner: PartnerConfig, performer: readonly string[]): string {
  for (const p of performer) {
    const site = deps.sites.find((s) => {
      const settings = deps.service.site(s);
      return s === p || settings.odsCode === p || settings.dosServiceIds.includes(p);
    });
    if (site) return site;
  }
  const fallback = partner.inbound?.defaultSite;
  if (fallback && deps.sites.includes(fallback)) return fallback;
  throw unprocessable(
    'ServiceRequest.performer: names no navigator site of this service, and the partner has no default site',
    'ServiceRequest.performer',
    'business-rule',
  );
}

/** Record-level problems are business problems of an otherwise valid FHIR request: 422, record paths kept. */
function asUnprocessable(err: unknown): unknown {
  if (!isNavbridgeError(err) || err.code !== 'REC_BAD_REQUEST') return err;
  return new NavbridgeError(
    'REC_UNPROCESSABLE_ENTITY',
    err.outcome.issue.map((i) => ({
      ...i,
      diagnostics: `referral record ${i.diagnostics ?? ''}`.trim(),
      details: { coding: [{ system: i.details?.coding?.[0]?.system, code: 'REC_UNPROCESSABLE_ENTITY' }] },
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
function assertValidResources(deps: FhirDeps, resources: readonly Resource[]): void {
  if (!deps.validator) return;
  const errors = resources.flatMap((r, i) =>
    deps
      .validator!.validateResource(r)
      .filter((x) => x.severity === 'error' || x.severity === 'fatal')
      .map((x) => ({ ...x, expression: x.expression ?? [`${r.resourceType}[${i}]`] })),
  );
  if (errors.length === 0) return;
  const codesOnly = errors.every((x) => x.code === 'code-invalid');
  const code = codesOnly ? 'REC_UNPROCESSABLE_ENTITY' : 'REC_BAD_REQUEST';
  throw new NavbridgeError(
    code,
    errors.map((x) => ({ ...x, details: { coding: [{ system: ERROR_CODE_SYSTEM, code }] } })),
  );
}

export async function handleIntake(
  deps: FhirDeps,
  partner: PartnerConfig,
  kind: InboundKind,
  body: unknown,
  headers: BarsHeaders,
): Promise<IntakeOutcome> {
  const read = readInbound(kind, body);
  assertValidResources(deps, read.envelope.resources);
  const message = read.envelope.message;
  if (message?.event === 'servicerequest-response') {
    const answered = message.header.response?.identifier;
    if (!answered || !(await isOurMessage(deps.db, partner.id, answered))) {
      throw unprocessable(
        'MessageHeader.response.identifier: answers no message navbridge sent to this partner',
        'MessageHeader.response.identifier',
      );
    }
    return { kind: 'response-ack', messageId: message.id, linkedReferrals: [], warnings: read.notes };
  }

  const now = deps.now();
  const mapping = deps.inboundMapping(partner.inbound?.mapping ?? 'fhir-referral');
  const mapped = await mapInbound(
    mapping,
    read,
    { id: partner.id, name: partner.name, kind: partner.kind, odsCodes: partner.odsCodes },
    now.toISOString(),
  );
  const requesterOds = (mapped.record.referrer as { odsCode?: string } | undefined)?.odsCode;
  if (requesterOds && !partner.odsCodes.includes(requesterOds)) {
    throw forbidden('ServiceRequest.requester: the requesting organisation is not one this client acts for');
  }
  const site = chooseSite(deps, partner, [...new Set(mapped.performer)]);
  const settings = deps.service.site(site);
  const referralId = mapped.referralId;
  const stored = await getRecord(deps.db, site, 'referral', referralId);
  const requester = requesterOf(mapped, read.envelope.serviceRequestUrl);
  const opts = {
    site,
    sourcePartnerId: partner.id,
    requester,
    nhsNumberCheck: settings.nhsNumberCheck.partner,
  };

  let result: SubmitResult;
  try {
    if (mapped.action === 'withdraw' || mapped.action === 'retract') {
      if (!stored)
        throw unprocessable('ServiceRequest: no referral from this partner to cancel', 'ServiceRequest');
      const event =
        mapped.action === 'withdraw'
          ? { type: 'withdrawn', id: `${referralId}-withdrawn` }
          : {
              type: 'entered-in-error',
              id: `${referralId}-retracted`,
              recordType: 'referral',
              recordId: referralId,
            };
      result = await deps.service.submit(
        'event',
        { ...event, site, version: 1, referralId, at: now.toISOString() },
        opts,
      );
    } else {
      // The same referral resent unchanged is a duplicate of its latest version; a changed one is the
      // next version. Receipt time stays the first receipt (service clocks run from it).
      const prev = stored?.payload as Record<string, unknown> | undefined;
      const strip = (r: Record<string, unknown> | undefined) => {
        const { version: _v, receivedAt: _r, id: _i, site: _s, ...rest } = r ?? {};
        return JSON.parse(JSON.stringify(rest));
      };
      const same = prev !== undefined && isDeepStrictEqual(strip(prev), strip(mapped.record));
      const record = {
        ...mapped.record,
        id: referralId,
        site,
        version: stored ? (same ? stored.version : stored.version + 1) : 1,
        receivedAt: (prev?.receivedAt as string | undefined) ?? now.toISOString(),
      };
      result = await deps.service.submit('referral', record, opts);
    }
  } catch (err) {
    throw asUnprocessable(err);
  }

  const linkedReferrals =
    mapped.action !== 'withdraw' &&
    mapped.action !== 'retract' &&
    result.outcome === 'accepted' &&
    result.version === 1
      ? await linkOpenReferrals(deps.db, site, referralId)
      : [];
  const exchangeId = await insertInboundExchange(deps.db, {
    partnerId: partner.id,
    site,
    recordType: result.recordType,
    sourceId: result.id,
    version: result.version,
    referralId,
    ...(headers.requestId ? { requestId: headers.requestId } : {}),
    ...(headers.correlationId ? { correlationId: headers.correlationId } : {}),
    payload: read.envelope.body,
  });
  const linkWarning = linkedReferrals.length
    ? [
        issue({
          severity: 'information',
          code: 'informational',
          diagnostics: 'the person has another open referral at this service: linked for the navigator',
          errorCode: 'LINKED_REFERRAL',
        }),
      ]
    : [];
  return {
    kind: 'referral',
    action: mapped.action,
    site,
    referralId,
    serviceRequestId: resourceId(site, 'ServiceRequest', referralId),
    result,
    linkedReferrals,
    ...(message ? { messageId: message.id } : {}),
    warnings: [...result.warnings, ...read.notes, ...linkWarning],
    exchangeId,
  };
}
