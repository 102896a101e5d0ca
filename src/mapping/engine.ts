// mapRecord: compiled mapping + record + context → a deterministic Bundle of type collection.
// The engine owns resource identity (id, meta.profile, fullUrl); expressions own the bodies.
import type { Bundle, BundleEntry, FhirResource, OperationOutcomeIssue } from 'fhir/r4.js';
import { mappingError } from '../errors/index.js';
import { bundleId, resourceId, urnUuid } from '../fhir/ids.js';
import { createBindings } from './bindings.js';
import type { CompiledMapping, CompiledResource } from './compile.js';
import type { MappingContext } from './context.js';
import { prune } from './prune.js';
import { type CompiledExpression, type ExpressionOrigin, evaluationIssue, mappingIssue } from './sandbox.js';

/** Any record of the navbridge record format (the engine reads only these three fields itself). */
export type MappableRecord = { id: string; site: string; version: number; [field: string]: unknown };

class ResourceFailure extends Error {
  constructor(readonly issue: OperationOutcomeIssue) {
    super(issue.diagnostics);
  }
}

async function run(
  expr: CompiledExpression,
  input: unknown,
  bindings: Record<string, unknown>,
): Promise<unknown> {
  try {
    return await expr.evaluate(input, bindings);
  } catch (err) {
    throw new ResourceFailure(evaluationIssue(expr, err));
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function asSubId(expr: CompiledExpression, value: unknown): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ResourceFailure(mappingIssue(expr, 'must evaluate to a non-empty string'));
}

async function mapResource(
  res: CompiledResource,
  record: MappableRecord,
  bindings: Record<string, unknown>,
): Promise<{ resource: FhirResource; identity: ResourceIdentity }[]> {
  if (res.when) {
    const ok = await run(res.when, record, bindings);
    if (ok !== undefined && typeof ok !== 'boolean') {
      throw new ResourceFailure(mappingIssue(res.when, 'must evaluate to true or false'));
    }
    if (ok !== true) return [];
  }
  let items: { item?: unknown; index?: number }[] = [{}];
  if (res.forEach) {
    const list = await run(res.forEach, record, bindings);
    const arr = list === undefined ? [] : Array.isArray(list) ? [...list] : [list];
    items = arr.map((item, index) => ({ item, index }));
  }
  const out: { resource: FhirResource; identity: ResourceIdentity }[] = [];
  for (const { item, index } of items) {
    const b = res.forEach ? { ...bindings, item, index } : bindings;
    const subId = res.key ? asSubId(res.key, await run(res.key, record, b)) : res.subId;
    const owner = res.owner ? asSubId(res.owner, await run(res.owner, record, b)) : record.id;
    let body = prune(await run(res.expression, record, b));
    if (!isPlainObject(body))
      throw new ResourceFailure(mappingIssue(res.expression, 'must evaluate to an object'));
    if (res.patch) {
      body = prune(await run(res.patch, body, b));
      if (!isPlainObject(body))
        throw new ResourceFailure(mappingIssue(res.patch, 'must evaluate to an object'));
    }
    const { resourceType: _rt, id: _id, meta, ...rest } = body;
    const resource = {
      resourceType: res.resourceType,
      id: resourceId(record.site, res.resourceType, owner, subId),
      meta: { ...(isPlainObject(meta) ? meta : {}), profile: [res.profileUrl] },
      ...rest,
    };
    out.push({
      resource: resource as FhirResource,
      identity: { resourceType: res.resourceType, owner, subId },
    });
  }
  return out;
}

/**
 * Maps one record. Same compiled mapping + record + context → byte-identical JSON. Throws
 * NavbridgeError('MAPPING_ERROR') whose issues name the mapping file and field, never record values.
 */
export async function mapRecord(
  compiled: CompiledMapping,
  record: MappableRecord,
  context: MappingContext,
): Promise<Bundle> {
  return (await mapRecordTraced(compiled, record, context)).bundle;
}

/** The inputs of a resource's UUIDv5 id: (site,) resource type, owning record id, sub-id. */
export interface ResourceIdentity {
  resourceType: string;
  owner: string;
  subId: string;
}

/** Which mapping expression produced each Bundle entry (same order), to point validation issues at it. */
export interface MappedBundle {
  bundle: Bundle;
  origins: ExpressionOrigin[];
  /** What each entry's id was made from (same order): lets callers retract a record's resources later. */
  identities: ResourceIdentity[];
}

/** mapRecord, also returning the origin of every entry. */
export async function mapRecordTraced(
  compiled: CompiledMapping,
  record: MappableRecord,
  context: MappingContext,
): Promise<MappedBundle> {
  const origin = { file: compiled.files[0] ?? 'mapping', field: 'site' };
  if (record.site !== context.site.id) {
    throw mappingError([mappingIssue(origin, "the record's site is not the context's site")]);
  }
  const bindings = createBindings({
    site: record.site,
    recordId: record.id,
    record,
    context,
    codeTables: compiled.codeTables,
  });
  const issues: OperationOutcomeIssue[] = [];
  const entries: BundleEntry[] = [];
  const origins: ExpressionOrigin[] = [];
  const identities: ResourceIdentity[] = [];
  const seen = new Map<string, string>();
  for (const res of compiled.resources) {
    try {
      for (const { resource, identity } of await mapResource(res, record, bindings)) {
        const id = resource.id!;
        const clash = seen.get(id);
        if (clash !== undefined) {
          const field = { file: res.file, field: `resources[${res.name}]` };
          issues.push(
            mappingIssue(field, `produces the same resource id as resources[${clash}] (check key/subId)`),
          );
          continue;
        }
        seen.set(id, res.name);
        entries.push({ fullUrl: urnUuid(id), resource });
        origins.push(res.patch ?? res.expression);
        identities.push(identity);
      }
    } catch (err) {
      if (err instanceof ResourceFailure) issues.push(err.issue);
      else issues.push(evaluationIssue({ file: res.file, field: `resources[${res.name}]` }, err));
    }
  }
  if (issues.length > 0) throw mappingError(issues);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    id: bundleId(record.site, compiled.recordType, record.id, record.version),
    type: 'collection',
    timestamp: context.now,
    entry: entries,
  };
  return { bundle, origins: origins.map((o) => ({ file: o.file, field: o.field })), identities };
}
