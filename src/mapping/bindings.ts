// The JSONata bindings a mapping expression sees ($record, $ctx, $id, $code...): docs/architecture.md
// "Mapping files" lists them. Binding functions throw MappingFunctionError, never echoing record values.
import { IDENTIFIER_SYSTEMS, PROFILES } from '../fhir/canonical.js';
import { resourceId, urnUuid } from '../fhir/ids.js';
import { BCP47_SYSTEM, resolveLanguage } from '../fhir/languages.js';
import { type CodeTables, conceptOf, lookupCode } from './code-tables.js';
import type { MappingContext } from './context.js';
import { MappingFunctionError } from './sandbox.js';

const requireString = (fn: string, arg: string, value: unknown): string => {
  if (typeof value !== 'string' || value === '') {
    throw new MappingFunctionError(`$${fn}(): ${arg} must be a non-empty string`);
  }
  return value;
};

const optionalSubId = (fn: string, value: unknown): string => {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new MappingFunctionError(`$${fn}(): subId must be a string`);
  return value;
};

/** The names createBindings gives every expression (test/unit/mapping/names.test.ts keeps them equal). */
export const BINDING_NAMES = [
  'record',
  'ctx',
  'site',
  'id',
  'ref',
  'idOf',
  'refOf',
  'identifier',
  'code',
  'tryCode',
  'language',
  'concept',
  'profile',
  'system',
] as const;

export interface BindingInput {
  site: string;
  recordId: string;
  record: unknown;
  context: MappingContext;
  codeTables: CodeTables;
}

/** Bindings shared by every expression of one record's mapping; `$item`/`$index` are added per element. */
export function createBindings(input: BindingInput): Record<string, unknown> {
  const { site, recordId, context, codeTables } = input;
  const idOf = (resourceType: unknown, owner: unknown, subId?: unknown): string =>
    resourceId(
      site,
      requireString('idOf', 'resourceType', resourceType),
      requireString('idOf', 'ownerRecordId', owner),
      optionalSubId('idOf', subId),
    );
  const code = (table: unknown, value: unknown): unknown => {
    const t = requireString('code', 'table', table);
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value.map((v) => code(t, v));
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') {
      throw new MappingFunctionError(`$code(): the code for table '${t}' must be a string`);
    }
    const found = lookupCode(codeTables, t, String(value));
    if (!found.ok) throw new MappingFunctionError(`$code(): ${found.message}`);
    return found.coding;
  };
  return {
    record: input.record,
    ctx: context,
    site: context.site,
    id: (resourceType: unknown, subId?: unknown) => idOf(resourceType, recordId, optionalSubId('id', subId)),
    ref: (resourceType: unknown, subId?: unknown) =>
      urnUuid(idOf(resourceType, recordId, optionalSubId('ref', subId))),
    idOf,
    refOf: (resourceType: unknown, owner: unknown, subId?: unknown) =>
      urnUuid(idOf(resourceType, owner, subId)),
    identifier: (kind: unknown, value: unknown) => {
      const k = requireString('identifier', 'kind', kind);
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new MappingFunctionError(`$identifier(): value for kind '${k}' must be a string`);
      }
      return { system: `${context.site.identifierNamespace.replace(/\/+$/, '')}/${k}`, value: String(value) };
    },
    code,
    /** Like $code, but an unknown code (e.g. a free-text language name) gives undefined instead of failing. */
    tryCode: (table: unknown, value: unknown) => {
      const t = requireString('tryCode', 'table', table);
      if (typeof value !== 'string' || value === '') return undefined;
      if (!codeTables.has(t)) throw new MappingFunctionError(`$tryCode(): unknown code table '${t}'`);
      const found = lookupCode(codeTables, t, value);
      return found.ok ? found.coding : undefined;
    },
    /**
     * The Coding of a language the record names (English name or BCP 47 tag): the `language` code
     * table's entry for the name when there is one (a site's own display, e.g. Cymraeg), else BCP 47.
     */
    language: (value: unknown) => {
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      const key = value.trim().toLowerCase().replace(/\s+/g, '-');
      const listed = codeTables.has('language') ? lookupCode(codeTables, 'language', key) : undefined;
      if (listed?.ok) return listed.coding;
      const found = resolveLanguage(value);
      if (!found) throw new MappingFunctionError('$language(): the record names no known language');
      return { system: BCP47_SYSTEM, code: found.code, display: found.display };
    },
    concept: (table: unknown, value: unknown) => {
      const coding = code(table, value);
      if (coding === undefined) return undefined;
      if (Array.isArray(coding)) return coding.map((c) => conceptOf(c as never));
      return conceptOf(coding as never);
    },
    profile: (name: unknown) => {
      const n = requireString('profile', 'name', name);
      if (!Object.hasOwn(PROFILES, n)) throw new MappingFunctionError(`$profile(): unknown profile '${n}'`);
      return PROFILES[n as keyof typeof PROFILES];
    },
    system: (name: unknown) => {
      const n = requireString('system', 'name', name);
      if (!Object.hasOwn(IDENTIFIER_SYSTEMS, n))
        throw new MappingFunctionError(`$system(): unknown identifier system '${n}'`);
      return IDENTIFIER_SYSTEMS[n as keyof typeof IDENTIFIER_SYSTEMS];
    },
  };
}
