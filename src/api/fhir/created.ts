// What a create answers, per `Prefer: return=` (FHIR http.html#ops, #transaction): the created
// resource with its navbridge id and version, an OperationOutcome, or nothing — on
// `POST /ServiceRequest` as the body, in a transaction as each entry's resource or response.outcome.
import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue, Resource } from 'fhir/r4.js';
import { issue } from '../../errors/index.js';
import type { PreferReturn } from './conventions.js';

export interface Created {
  /** `…/ServiceRequest/{id}/_history/{vid}`. */
  location: string;
  versionId?: string;
  lastModified: Date;
  /** The ServiceRequest as received (built only when asked for). */
  resource(): Resource | undefined;
  outcome(): OperationOutcome;
}

/** The request's ServiceRequest (itself, or a transaction's entry) under navbridge's id. */
export function createdServiceRequest(body: unknown, id: string | undefined): Resource | undefined {
  const b = body as Resource | Bundle | undefined;
  const sr =
    b?.resourceType === 'Bundle'
      ? (b as Bundle).entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource
      : b;
  return sr && id ? { ...sr, id } : undefined;
}

/** The created resource as a read would answer it: id, meta.versionId and meta.lastUpdated. */
export function createdRepresentation(created: Created): Resource | undefined {
  const resource = created.resource();
  if (!resource) return undefined;
  const meta = {
    ...resource.meta,
    ...(created.versionId ? { versionId: created.versionId } : {}),
    lastUpdated: created.lastModified.toISOString(),
  };
  return { ...resource, meta };
}

export function createOutcome(
  action: string | undefined,
  warnings: OperationOutcomeIssue[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      issue({
        severity: 'information',
        code: 'informational',
        diagnostics: `referral ${action ?? 'received'}`,
      }),
      ...warnings,
    ],
  };
}

/**
 * The transaction-response: the ServiceRequest's entry is the create (Location, ETag, and what Prefer
 * asks for — by default its warnings only); supporting resources are read into the referral, not
 * stored as themselves (200).
 */
export function transactionResponse(request: Bundle, created: Created, prefer?: PreferReturn): Bundle {
  const warnings = created.outcome().issue.slice(1);
  const entryOf = (): BundleEntry => {
    const representation = prefer === 'representation' ? createdRepresentation(created) : undefined;
    const outcome =
      prefer === 'OperationOutcome'
        ? created.outcome()
        : prefer === undefined && warnings.length
          ? ({ resourceType: 'OperationOutcome', issue: warnings } as OperationOutcome)
          : undefined;
    return {
      ...(representation ? { resource: representation } : {}),
      response: {
        status: '201 Created',
        location: created.location,
        ...(created.versionId ? { etag: `W/"${created.versionId}"` } : {}),
        lastModified: created.lastModified.toISOString(),
        ...(outcome ? { outcome } : {}),
      },
    };
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction-response',
    entry: (request.entry ?? []).map((e) =>
      e.resource?.resourceType === 'ServiceRequest' ? entryOf() : { response: { status: '200 OK' } },
    ),
  };
}
