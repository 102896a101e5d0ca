// Conditional update (PUT Type?search) by the FHIR R4 rules (http.html#cond-update), with If-Match.
// medplum's conditional update ignores If-Match and refuses a client id when nothing matches.
import type { WithId } from '@medplum/core';
import {
  allOk,
  badRequest,
  conflict,
  created,
  OperationOutcomeError,
  parseSearchRequest,
  preconditionFailed,
} from '@medplum/core';
import type { OperationOutcome, Resource, ResourceType } from '@medplum/fhirtypes';
import type { SandboxRepository } from './sandbox-repo.js';

export type ConditionalTarget =
  | { kind: 'update'; id: string }
  | { kind: 'create-with-id'; id: string }
  | { kind: 'create' };

/**
 * Decides what a conditional PUT does. R4: no match and no id → create; no match with an id →
 * update-as-create (409 if that id is already taken by a resource the search did not match); one
 * match → update it (400 if the body names another id); several matches → 412.
 */
export async function resolveConditionalPut(
  repo: SandboxRepository,
  resourceType: string,
  query: string,
  bodyId: string | undefined,
): Promise<ConditionalTarget> {
  const search = parseSearchRequest(`${resourceType}?${query}`);
  if (!search.filters?.length) {
    throw new OperationOutcomeError(badRequest('Conditional update needs search parameters'));
  }
  search.count = 2;
  search.offset = 0;
  search.sortRules = undefined;
  const matches = await repo.searchResources(search);
  if (matches.length > 1) {
    throw new OperationOutcomeError({
      ...preconditionFailed,
      issue: [
        {
          severity: 'error',
          code: 'multiple-matches',
          diagnostics: 'Conditional update matched more than one resource',
        },
      ],
    });
  }
  const [match] = matches;
  if (match) {
    if (bodyId && bodyId !== match.id) {
      throw new OperationOutcomeError(
        badRequest('Resource id does not match the resource found', `${resourceType}.id`),
      );
    }
    return { kind: 'update', id: match.id };
  }
  if (!bodyId) return { kind: 'create' };
  if (repo.exists(resourceType, bodyId)) {
    throw new OperationOutcomeError(
      conflict('Resource id is taken by a resource that does not match the search', 'duplicate'),
    );
  }
  return { kind: 'create-with-id', id: bodyId };
}

/** Extracts the version from an If-Match value: `W/"3"` or `"3"` → `3`. */
export function parseIfMatch(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /"([^"]+)"/.exec(value);
  return match ? match[1] : value.trim();
}

/** PUT Type?search outside a Bundle. */
export async function conditionalPut(
  repo: SandboxRepository,
  resourceType: string,
  query: string,
  body: Resource,
  ifMatch: string | undefined,
): Promise<[OperationOutcome, WithId<Resource>]> {
  if (body?.resourceType !== resourceType) {
    throw new OperationOutcomeError(badRequest('Resource type does not match the URL', 'resourceType'));
  }
  const target = await resolveConditionalPut(repo, resourceType as ResourceType, query, body.id);
  const version = parseIfMatch(ifMatch);
  if (target.kind === 'update') {
    const updated = await repo.updateResource(
      { ...body, id: target.id },
      version ? { ifMatch: version } : {},
    );
    return [allOk, updated];
  }
  // If-Match names a version of an existing resource: with nothing there it cannot hold (RFC 9110 13.1.1).
  if (version) throw new OperationOutcomeError(preconditionFailed);
  const { id: _ignored, ...withoutId } = body;
  const resource = target.kind === 'create-with-id' ? { ...body, id: target.id } : withoutId;
  return [created, await repo.createResource(resource)];
}
