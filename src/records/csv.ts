// CSV input for `referral` and `event` records: one record per row, headers are dotted record paths
// (`person.name.family`, `person.identifiers[0].system`). How a cell is read (list, boolean, number,
// text) is looked up in the record schema, so the CSV reader cannot drift from the schema.
import { parse } from 'csv-parse/sync';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { z } from 'zod';
import { type IssueType, issue } from '../errors/index.js';
import { eventSchema } from './event.js';
import { referralSchema } from './referral.js';

export type CsvRecordType = 'referral' | 'event';
export interface CsvRow {
  /** Line of the file where the row starts (the header is line 1). */
  row: number;
  /** The record as read, still unchecked (pass it to checkRecord); absent when the row has errors. */
  input?: unknown;
  issues: OperationOutcomeIssue[];
}

const CSV_SCHEMAS: Record<CsvRecordType, z.ZodType> = { referral: referralSchema, event: eventSchema };
/** Separates the items of a list in one cell. */
export const CSV_LIST_SEPARATOR = ';';

type Segment = string | number;
type Kind = 'text' | 'boolean' | 'integer' | 'number' | 'list' | 'structure';

interface Column {
  index: number;
  header: string;
  path: Segment[];
  kind: Kind;
}

const HEADER = /^[A-Za-z][A-Za-z0-9_-]*(\[[0-9]{1,3}\])*(\.[A-Za-z][A-Za-z0-9_-]*(\[[0-9]{1,3}\])*)*$/;

function parseHeader(header: string): Segment[] | undefined {
  if (!HEADER.test(header)) return undefined;
  return [...header.matchAll(/([^.[\]]+)|\[([0-9]+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
}

/** The schema at `path`, looking through optional/default wrappers and into every union option. */
function schemaAt(schema: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodUnion) {
    for (const option of s.options as z.ZodType[]) {
      const found = schemaAt(option, path);
      if (found) return found;
    }
    return undefined;
  }
  if (path.length === 0) return s;
  const [head, ...rest] = path;
  if (typeof head === 'number')
    return s instanceof z.ZodArray ? schemaAt(s.element as z.ZodType, rest) : undefined;
  if (s instanceof z.ZodObject) {
    const field = (s.shape as Record<string, z.ZodType>)[head as string];
    return field ? schemaAt(field, rest) : undefined;
  }
  return undefined;
}

function kindOf(s: z.ZodType | undefined): Kind {
  // Unknown paths are read as text: checkRecord then names them as unknown fields.
  if (s === undefined) return 'text';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodNumber) return s.isInt ? 'integer' : 'number';
  if (s instanceof z.ZodArray) return s.element instanceof z.ZodObject ? 'structure' : 'list';
  if (s instanceof z.ZodObject || s instanceof z.ZodUnion) return 'structure';
  return 'text';
}

const BOOLEANS: Record<string, boolean> = { true: true, yes: true, false: false, no: false };

function readCell(kind: Kind, cell: string): { value?: unknown; problem?: string } {
  switch (kind) {
    case 'boolean': {
      const b = BOOLEANS[cell.toLowerCase()];
      return b === undefined ? { problem: 'must be true, false, yes or no' } : { value: b };
    }
    case 'integer':
      return /^-?[0-9]+$/.test(cell) ? { value: Number(cell) } : { problem: 'must be a whole number' };
    case 'number':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(cell) ? { value: Number(cell) } : { problem: 'must be a number' };
    case 'list':
      return {
        value: cell
          .split(CSV_LIST_SEPARATOR)
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      };
    default:
      return { value: cell };
  }
}

const fmt = (path: readonly Segment[]): string =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

const bad = (expression: string | undefined, diagnostics: string, code: IssueType) =>
  issue({ code, diagnostics, ...(expression ? { expression } : {}), errorCode: 'REC_BAD_REQUEST' });

function readColumns(
  type: CsvRecordType,
  headers: string[],
): { columns: Column[]; issues: OperationOutcomeIssue[] } {
  const columns: Column[] = [];
  const issues: OperationOutcomeIssue[] = [];
  const seen = new Set<string>();
  headers.forEach((raw, i) => {
    const header = raw.trim();
    const path = parseHeader(header);
    if (!path) {
      issues.push(bad(undefined, `CSV column ${i + 1}: header must be a dotted record path`, 'structure'));
      return;
    }
    if (seen.has(header)) issues.push(bad(header, `CSV column ${i + 1}: duplicate header`, 'structure'));
    seen.add(header);
    const kind = kindOf(schemaAt(CSV_SCHEMAS[type], path));
    if (kind === 'structure') {
      issues.push(bad(header, `CSV column ${i + 1}: header must name a field inside ${header}`, 'structure'));
      return;
    }
    columns.push({ index: i, header, path, kind });
  });
  return { columns, issues };
}

/** Set `value` at `path`, creating objects/arrays; false when the path collides with another column. */
function setPath(target: Record<string, unknown>, path: readonly Segment[], value: unknown): boolean {
  let node: Record<Segment, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const container = typeof path[i + 1] === 'number' ? [] : {};
    if (node[key] === undefined) node[key] = container;
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next) !== Array.isArray(container))
      return false;
    node = next as Record<Segment, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return true;
}

/** Arrays built from `x[1]` columns without `x[0]` have holes: name the missing element. */
function findHoles(value: unknown, path: Segment[], issues: OperationOutcomeIssue[]): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value))
        issues.push(
          bad(fmt([...path, i]), `${fmt([...path, i])}: is missing (no cell filled for it)`, 'required'),
        );
      else findHoles(value[i], [...path, i], issues);
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) findHoles(v, [...path, k], issues);
  }
}

/** Line where a record starts: csv-parse reports the line it ends on. */
function startLine(endLine: number, raw: string): number {
  const body = raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '');
  return endLine - (body.match(/\n/g)?.length ?? 0);
}

interface ParsedRecord {
  record: string[];
  raw: string;
  info: { lines: number };
}

/**
 * Read a CSV export into unchecked record inputs, one per row, with that row's problems. An empty cell
 * is an absent field; list fields split on `;`; booleans are true/false/yes/no; a BOM is tolerated.
 * Diagnostics name the column and line, never a cell's value.
 */
export function parseCsvRecords(type: CsvRecordType, csvText: string): CsvRow[] {
  let parsed: ParsedRecord[];
  try {
    // With `info` and `raw` csv-parse returns {record, raw, info} objects; its types do not say so.
    parsed = parse(csvText, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }) as unknown as ParsedRecord[];
  } catch (err) {
    const e = err as { code?: string; lines?: number };
    const line = typeof e.lines === 'number' ? e.lines : 1;
    return [
      {
        row: line,
        issues: [
          bad(undefined, `CSV is malformed (${e.code ?? 'parse error'}) at line ${line}`, 'structure'),
        ],
      },
    ];
  }
  const [header, ...rows] = parsed;
  if (!header || rows.length === 0) {
    return [
      {
        row: 1,
        issues: [
          bad(
            undefined,
            'CSV has no records: a header row and at least one data row are needed',
            'structure',
          ),
        ],
      },
    ];
  }
  const { columns, issues: headerIssues } = readColumns(type, header.record);
  return rows.map(({ record, raw, info }) => {
    const row = startLine(info.lines, raw);
    const issues = [...headerIssues];
    if (record.length !== header.record.length) {
      issues.push(
        bad(
          undefined,
          `CSV line ${row}: has ${record.length} fields, the header has ${header.record.length}`,
          'structure',
        ),
      );
    }
    const input: Record<string, unknown> = {};
    for (const column of columns) {
      const cell = (record[column.index] ?? '').trim();
      if (cell === '') continue;
      const { value, problem } = readCell(column.kind, cell);
      if (problem) issues.push(bad(column.header, `${column.header}: ${problem}`, 'value'));
      else if (!setPath(input, column.path, value)) {
        issues.push(
          bad(column.header, `${column.header}: column conflicts with another column's path`, 'structure'),
        );
      }
    }
    findHoles(input, [], issues);
    return issues.length > 0 ? { row, issues } : { row, input, issues };
  });
}
