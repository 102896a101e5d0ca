// Code tables: record codes → FHIR Codings, from mappings/code-tables.yaml with a site's
// code-tables.yaml laid over it (per code), so a site can map to its own local codes.
import type { CodeableConcept, Coding } from 'fhir/r4.js';
import { CANONICAL_BASE } from '../fhir/canonical.js';
import type { CodeTablesFile } from './schema.js';

export interface ResolvedCode {
  system: string;
  code: string;
  display: string;
  /** The file that defined this entry (for `mappings check`). */
  file: string;
}

export interface ResolvedTable {
  /** Table-level system as written (CodeSystem id or URL) and resolved. */
  systemRef?: string;
  system?: string;
  file: string;
  codes: Map<string, ResolvedCode>;
}

export type CodeTables = ReadonlyMap<string, ResolvedTable>;

/**
 * A bare kebab-case id names a navbridge CodeSystem (CODE_SYSTEM_IDS in src/fhir/canonical.ts, or one
 * generated from the assessment tools such as `assessment-priority`; `mappings check` verifies it exists)
 * and becomes its canonical URL; anything else must already be an absolute URL or URN.
 */
export function resolveSystem(ref: string): string | undefined {
  if (/^[a-z][a-z0-9-]*$/.test(ref)) return `${CANONICAL_BASE}/CodeSystem/${ref}`;
  if (/^(https?:\/\/|urn:)/.test(ref)) return ref;
  return undefined;
}

export interface CodeTableProblem {
  file: string;
  path: string;
  message: string;
}

/**
 * Merges code table files in order (base first, then the site's). A later file replaces a table's
 * `system` and individual codes; codes it does not name keep the earlier entry.
 */
export function mergeCodeTables(files: readonly { file: string; data: CodeTablesFile }[]): {
  tables: CodeTables;
  problems: CodeTableProblem[];
} {
  const tables = new Map<string, ResolvedTable>();
  const problems: CodeTableProblem[] = [];
  for (const { file, data } of files) {
    for (const [name, table] of Object.entries(data.tables)) {
      const existing = tables.get(name);
      const merged: ResolvedTable = existing
        ? { ...existing, codes: new Map(existing.codes) }
        : { file, codes: new Map() };
      if (table.system !== undefined) {
        const system = resolveSystem(table.system);
        if (!system) {
          problems.push({
            file,
            path: `tables.${name}.system`,
            message: 'must be a navbridge CodeSystem id or an absolute URL',
          });
        }
        merged.systemRef = table.system;
        merged.system = system;
        merged.file = file;
      }
      for (const [code, entry] of Object.entries(table.codes)) {
        const systemRef = entry.system ?? merged.systemRef;
        const system = systemRef === undefined ? undefined : resolveSystem(systemRef);
        if (!system) {
          problems.push({
            file,
            path: `tables.${name}.codes.${code}${entry.system ? '.system' : ''}`,
            message: 'has no valid system (set the table system or the entry system)',
          });
          continue;
        }
        merged.codes.set(code, { system, code: entry.code ?? code, display: entry.display, file });
      }
      tables.set(name, merged);
    }
  }
  return { tables, problems };
}

export type CodeLookup = { ok: true; coding: Coding } | { ok: false; message: string };

export function lookupCode(tables: CodeTables, table: string, code: string): CodeLookup {
  const t = tables.get(table);
  if (!t) return { ok: false, message: `unknown code table '${table}'` };
  const entry = t.codes.get(code);
  // The code itself is a record value: say which table, not which code.
  if (!entry) return { ok: false, message: `a code is not in code table '${table}'` };
  return { ok: true, coding: { system: entry.system, code: entry.code, display: entry.display } };
}

export const conceptOf = (coding: Coding): CodeableConcept => ({ coding: [coding], text: coding.display });
