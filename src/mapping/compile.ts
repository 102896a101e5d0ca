// Mapping source → CompiledMapping: validates the files, lays a site override over the base by
// resource name, merges code tables and compiles every JSONata expression once.
import { createHash } from 'node:crypto';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { z } from 'zod';
import { configError, issue, zodIssues } from '../errors/index.js';
import { PROFILES, type ProfileName } from '../fhir/canonical.js';
import type { RecordType } from '../records/codes.js';
import { type CodeTables, mergeCodeTables } from './code-tables.js';
import {
  type CompiledExpression,
  compileExpression,
  DEFAULT_LIMITS,
  type ExpressionOrigin,
  type SandboxLimits,
} from './sandbox.js';
import {
  type CodeTablesFile,
  codeTablesFileSchema,
  type MappingFile,
  mappingFileSchema,
  mappingOverrideSchema,
  type OverrideEntry,
} from './schema.js';

/** A parsed (YAML/JSON) file and the name to report it by, e.g. `mappings/referral/mapping.yaml`. */
export interface SourceFile {
  readonly file: string;
  readonly data: unknown;
}

export interface MappingSources {
  mapping: SourceFile;
  /** A site's `mappings/sites/<site>/<record-type>.yaml`. */
  override?: SourceFile;
  /** Base `mappings/code-tables.yaml` first, then the site's. */
  codeTables: readonly SourceFile[];
  limits?: SandboxLimits;
}

export interface CompiledResource {
  name: string;
  resourceType: string;
  profile: ProfileName;
  profileUrl: string;
  /** The file that defines the entry (a site override's file for an added resource). */
  file: string;
  when?: CompiledExpression;
  forEach?: CompiledExpression;
  key?: CompiledExpression;
  owner?: CompiledExpression;
  subId: string;
  expression: CompiledExpression;
  patch?: CompiledExpression;
}

export interface CompiledMapping {
  recordType: RecordType;
  description?: string;
  files: string[];
  resources: CompiledResource[];
  codeTables: CodeTables;
}

/** Record-path style path with resource names instead of indexes: `resources[patient].expression`. */
function namedPath(path: readonly PropertyKey[], data: unknown): string {
  let out = '';
  let node: unknown = data;
  path.forEach((seg, i) => {
    const child =
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg] : undefined;
    if (typeof seg === 'number') {
      const name = (child as { name?: unknown } | undefined)?.name;
      out += path[i - 1] === 'resources' && typeof name === 'string' ? `[${name}]` : `[${seg}]`;
    } else {
      out += out === '' ? String(seg) : `.${String(seg)}`;
    }
    node = child;
  });
  return out;
}

/** Problems of a configuration file, named by file and path (`mappings/x.yaml resources[a].when: …`). */
export function configFileIssues(file: string, error: z.ZodError, data: unknown): OperationOutcomeIssue[] {
  return zodIssues(error.issues, {
    errorCode: 'CONFIG_ERROR',
    file,
    formatPath: (path) => namedPath(path, data),
  });
}

function parseWith<T>(schema: z.ZodType<T>, src: SourceFile, issues: OperationOutcomeIssue[]): T | undefined {
  const result = schema.safeParse(src.data);
  if (result.success) return result.data;
  issues.push(...configFileIssues(src.file, result.error, src.data));
  return undefined;
}

/** A resource entry during merging; `fileOf` records which file each field last came from. */
type Entry = MappingFile['resources'][number] & {
  file: string;
  fileOf: Record<string, string>;
  patch?: string;
};

function applyOverride(
  base: Entry[],
  entries: readonly OverrideEntry[],
  file: string,
  issues: OperationOutcomeIssue[],
): Entry[] {
  let out = [...base];
  for (const entry of entries) {
    const at = out.findIndex((e) => e.name === entry.name);
    const path = `resources[${entry.name}]`;
    if (entry.remove) {
      if (at < 0)
        issues.push(
          issue({
            diagnostics: `${file} ${path}.remove: no base resource of that name`,
            errorCode: 'CONFIG_ERROR',
            expression: path,
          }),
        );
      out = out.filter((e) => e.name !== entry.name);
      continue;
    }
    const { remove: _remove, patch, ...fields } = entry;
    if (at >= 0) {
      const fileOf = { ...out[at]!.fileOf };
      for (const k of Object.keys(entry)) fileOf[k] = file;
      const merged = { ...out[at]!, ...fields, fileOf } as Entry;
      if (patch !== undefined) merged.patch = patch;
      // A replaced forEach without a key (or the reverse) would leave the entry inconsistent.
      if ((merged.forEach === undefined) !== (merged.key === undefined)) {
        issues.push(
          issue({
            diagnostics: `${file} ${path}: forEach and key must be given together`,
            errorCode: 'CONFIG_ERROR',
            expression: path,
          }),
        );
      }
      out[at] = merged;
      continue;
    }
    if (patch !== undefined || !fields.resourceType || !fields.profile || !fields.expression) {
      issues.push(
        issue({
          diagnostics: `${file} ${path}: not in the base mapping, so it adds a resource and needs resourceType, profile and expression (and no patch)`,
          errorCode: 'CONFIG_ERROR',
          expression: path,
        }),
      );
      continue;
    }
    out.push({
      ...fields,
      resourceType: fields.resourceType,
      profile: fields.profile,
      expression: fields.expression,
      file,
      fileOf: {},
    });
  }
  return out;
}

/** Validates, merges and compiles; throws NavbridgeError('CONFIG_ERROR') listing every problem at once. */
export function compileMapping(sources: MappingSources): CompiledMapping {
  const issues: OperationOutcomeIssue[] = [];
  const limits = sources.limits ?? DEFAULT_LIMITS;
  const base = parseWith(mappingFileSchema, sources.mapping, issues);
  const override = sources.override ? parseWith(mappingOverrideSchema, sources.override, issues) : undefined;
  const tableFiles: { file: string; data: CodeTablesFile }[] = [];
  for (const src of sources.codeTables) {
    const data = parseWith(codeTablesFileSchema, src, issues);
    if (data) tableFiles.push({ file: src.file, data });
  }
  const { tables, problems } = mergeCodeTables(tableFiles);
  for (const p of problems) {
    issues.push(
      issue({
        diagnostics: `${p.file} ${p.path}: ${p.message}`,
        errorCode: 'CONFIG_ERROR',
        expression: p.path,
      }),
    );
  }
  if (!base) throw configError(issues);
  if (override && override.recordType !== base.recordType) {
    issues.push(
      issue({
        diagnostics: `${sources.override!.file} recordType: must be '${base.recordType}' like the base mapping`,
        errorCode: 'CONFIG_ERROR',
        expression: 'recordType',
      }),
    );
  }
  let entries: Entry[] = base.resources.map((r) => ({ ...r, file: sources.mapping.file, fileOf: {} }));
  if (override && sources.override)
    entries = applyOverride(entries, override.resources, sources.override.file, issues);

  const compile = (source: string | undefined, origin: ExpressionOrigin): CompiledExpression | undefined => {
    if (source === undefined) return undefined;
    const result = compileExpression(source, origin, limits);
    if ('evaluate' in result) return result;
    issues.push(result);
    return undefined;
  };
  const resources: CompiledResource[] = [];
  for (const e of entries) {
    const field = (f: string): ExpressionOrigin => ({
      file: e.fileOf[f] ?? e.file,
      field: `resources[${e.name}].${f}`,
    });
    const expression = compile(e.expression, field('expression'));
    const compiled: CompiledResource = {
      name: e.name,
      resourceType: e.resourceType,
      profile: e.profile,
      profileUrl: PROFILES[e.profile],
      file: e.file,
      subId: e.subId ?? '',
      expression: expression!,
    };
    const optional = {
      when: e.when,
      forEach: e.forEach,
      key: e.key,
      owner: e.owner,
      patch: e.patch,
    } as const;
    for (const [k, src] of Object.entries(optional)) {
      const c = compile(src, field(k));
      if (c) compiled[k as keyof typeof optional] = c;
    }
    resources.push(compiled);
  }
  if (issues.length > 0) throw configError(issues);
  const files = [
    sources.mapping.file,
    ...(sources.override ? [sources.override.file] : []),
    ...sources.codeTables.map((c) => c.file),
  ];
  return {
    recordType: base.recordType,
    ...(base.description !== undefined ? { description: base.description } : {}),
    files,
    resources,
    codeTables: tables,
  };
}

/** A short digest of a compiled mapping's sources: stored with each record, so a remap can tell. */
export function mappingVersion(m: CompiledMapping): string {
  const src = m.resources.map((r) => [
    r.name,
    r.expression.source,
    r.when?.source ?? '',
    r.patch?.source ?? '',
  ]);
  return createHash('sha256')
    .update(JSON.stringify([m.files, src, m.codeTables]))
    .digest('hex')
    .slice(0, 12);
}
