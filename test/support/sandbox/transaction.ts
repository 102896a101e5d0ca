// Atomic transaction Bundles for the sandbox. medplum runs them through its batch processor (which
// resolves urn:uuid references and conditional entries) but MemoryRepository cannot roll back, and
// medplum's strict mode refuses conditional transactions of more than 8 entries: we run the Bundle
// as a batch, roll the store back if any entry failed, and answer with that entry's outcome.
import {
  badRequest,
  created,
  getStatus,
  normalizeOperationOutcome,
  OperationOutcomeError,
} from '@medplum/core';
import type { FhirRouter } from '@medplum/fhir-router';
import { processBatch } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcome } from '@medplum/fhirtypes';
import { parseIfMatch, resolveConditionalPut } from './conditional.js';
import type { SandboxRepository } from './sandbox-repo.js';

export type TransactionResult =
  | { ok: true; bundle: Bundle }
  | { ok: false; status: number; outcome: OperationOutcome };

/**
 * Conditional PUT entries carrying a client id follow the R4 rules of resolveConditionalPut; medplum
 * would reject "create by update" with an id. Rewriting the entry to `PUT Type/id` makes medplum do an
 * update (or update-as-create) of the resolved resource; urn:uuid references still resolve via fullUrl.
 */
async function prepareEntries(repo: SandboxRepository, bundle: Bundle): Promise<Set<number>> {
  const createdWithId = new Set<number>();
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    const request = entry.request;
    const resource = entry.resource;
    if (request?.method !== 'PUT' || !request.url?.includes('?') || !resource?.id) continue;
    const [resourceType = '', query = ''] = request.url.split('?', 2);
    try {
      const target = await resolveConditionalPut(repo, resourceType, query, resource.id);
      if (target.kind !== 'create') request.url = `${resourceType}/${target.id}`;
      if (target.kind === 'create-with-id') createdWithId.add(index);
      if (target.kind === 'create-with-id' && parseIfMatch(request.ifMatch)) {
        throw new OperationOutcomeError(badRequest('If-Match on a resource that does not exist'));
      }
    } catch (err) {
      const outcome = normalizeOperationOutcome(err);
      for (const issue of outcome.issue ?? []) issue.expression = [`Bundle.entry[${index}]`];
      throw new OperationOutcomeError(outcome);
    }
  }
  return createdWithId;
}

/** Adds what real servers return per entry and medplum leaves out: ETag, Last-Modified, versioned Location. */
function decorateResponses(entries: BundleEntry[]): void {
  for (const entry of entries) {
    const meta = entry.resource?.meta;
    if (!entry.response || !entry.resource?.id || !meta?.versionId) continue;
    entry.response.etag = `W/"${meta.versionId}"`;
    if (meta.lastUpdated) entry.response.lastModified = meta.lastUpdated;
    entry.response.location = `${entry.resource.resourceType}/${entry.resource.id}/_history/${meta.versionId}`;
  }
}

export async function runTransaction(
  repo: SandboxRepository,
  router: FhirRouter,
  input: Bundle,
): Promise<TransactionResult> {
  if (input.type !== 'transaction') {
    return { ok: false, status: 400, outcome: badRequest('Bundle.type must be transaction', 'Bundle.type') };
  }
  const bundle = structuredClone(input);
  const snapshot = repo.snapshot();
  try {
    const createdWithId = await prepareEntries(repo, bundle);
    const request = { method: 'POST' as const, url: '', pathname: '', body: bundle, params: {}, query: {} };
    // transactions:false = medplum's batch semantics (no 8-entry limit); atomicity comes from the snapshot.
    const result = await processBatch({ ...request, config: { transactions: false } }, repo, router, bundle);
    const entries = result.entry ?? [];
    const failed = entries.findIndex((e) => !e.response?.status?.startsWith('2'));
    if (failed >= 0) {
      repo.restore(snapshot);
      const outcome = entries[failed]?.response?.outcome ?? badRequest('Transaction entry failed');
      for (const issue of outcome.issue ?? []) issue.expression ??= [`Bundle.entry[${failed}]`];
      return { ok: false, status: getStatus(outcome), outcome };
    }
    // medplum answers an update-as-create of PUT Type/id with 200; it did create the resource.
    for (const index of createdWithId) {
      const response = entries[index]?.response;
      if (response) Object.assign(response, { status: '201', outcome: created });
    }
    decorateResponses(entries);
    return { ok: true, bundle: { ...result, type: 'transaction-response' } };
  } catch (err) {
    repo.restore(snapshot);
    const outcome = normalizeOperationOutcome(err);
    return { ok: false, status: getStatus(outcome), outcome };
  }
}
