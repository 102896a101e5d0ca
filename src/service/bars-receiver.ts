// navbridge as a BaRS receiver: the message checks in the specification's order (src/intake/bars-message.ts)
// against the enabled sites, the request-id claim (409 duplicate, 425 still in progress), and the
// MessageDefinitions served at GET /fhir/MessageDefinition.
import type { Bundle, MessageDefinition } from 'fhir/r4.js';
import { conflict, notFound, tooEarly } from '../errors/index.js';
import {
  assertBarsVersion,
  type BarsChecked,
  type BarsSite,
  checkBarsRequest,
  type InboundRead,
  messageDefinitionResource,
  SUPPORTED_DEFINITIONS,
} from '../intake/index.js';
import type { Tx } from '../store/db.js';
import { claimRequestId } from '../store/inbound.js';
import type { ServiceDeps } from './types.js';

type Deps = Pick<ServiceDeps, 'mappings'>;

export function barsSites(deps: Deps): BarsSite[] {
  return deps.mappings.sites.flatMap((id) => {
    const s = deps.mappings.tryGetSite(id);
    return s
      ? [{ id, odsCode: s.odsCode, dosServiceIds: s.dosServiceIds, useCaseCategories: s.useCaseCategories }]
      : [];
  });
}

/**
 * The BaRS checks of a message: a servicerequest-request gets all of them (its destination names the
 * site); a servicerequest-response its version (what it answers is checked by the acknowledgement).
 * Other kinds of request are not BaRS messages: undefined.
 */
export function checkBarsMessage(deps: Deps, read: InboundRead): BarsChecked | undefined {
  const message = read.envelope.message;
  if (!message) return undefined;
  if (message.event !== 'servicerequest-request') {
    assertBarsVersion(read.envelope.body as Bundle);
    return undefined;
  }
  return checkBarsRequest(read.envelope, barsSites(deps));
}

export const duplicateRequest = () =>
  conflict('the message has been identified as having already been processed.', { code: 'duplicate' });

/** Claims the request's X-Request-Id in the intake transaction: 409 when used before, 425 while in progress. */
export async function claimRequest(
  tx: Tx,
  partnerId: string,
  req: { requestId?: string; correlationId?: string },
  replyTo?: string,
): Promise<void> {
  if (!req.requestId) return;
  const claim = await claimRequestId(tx, partnerId, req.requestId, req.correlationId, replyTo);
  if (claim === 'taken') throw duplicateRequest();
  if (claim === 'in-progress')
    throw tooEarly('X-Request-Id: a request with this id is still being processed; retry later', {
      expression: 'X-Request-Id',
    });
}

/** The MessageDefinitions navbridge receives against, with the DoS ids and use cases of its sites. */
export function messageDefinitions(deps: Deps): MessageDefinition[] {
  const sites = barsSites(deps);
  const ctx = {
    dosServiceIds: [...new Set(sites.flatMap((s) => s.dosServiceIds))],
    useCaseCategories: [...new Set(sites.flatMap((s) => s.useCaseCategories))],
  };
  return SUPPORTED_DEFINITIONS.map((d) => messageDefinitionResource(d, ctx));
}

export function readMessageDefinition(deps: Deps, id: string): MessageDefinition {
  const found = messageDefinitions(deps).find((d) => d.id === id);
  if (!found) throw notFound('MessageDefinition');
  return found;
}
