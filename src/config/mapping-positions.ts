// Where a mapping problem sits in its YAML file: file, line and column, from the file name and path
// the diagnostics already carry (`mappings/referral/mapping.yaml resources[patient].expression: …`).
// Line numbers come from the YAML itself (the `yaml` package's LineCounter), so the playground can point
// at the line whichever loader or check produced the message.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';

export interface MappingPosition {
  /** As the diagnostics name it: relative to the parent of the mappings folder (`mappings/…`). */
  file: string;
  /** The path inside the file (`resources[patient].expression`), when the message names one. */
  field?: string;
  /** 1-based; absent when the path is not in the file (e.g. a field that is missing). */
  line?: number;
  column?: number;
  /** The last line of the field's value, when it spans several (a block expression). */
  endLine?: number;
}

/** `<file>.yaml[ line L column C][ <path>]: …` — the shape every mapping loader and check writes. */
const DIAGNOSTIC = /^(\S+?\.ya?ml)(?: line (\d+) column (\d+))?(?: ([^\s:]+))?:/;
const POSITION = /at position (\d+)/;

/** The absolute file a diagnostic's display name stands for, only when it is inside the mappings folder. */
export function mappingFileOf(mappingsDir: string, displayName: string): string | undefined {
  const root = path.resolve(mappingsDir);
  const abs = path.resolve(path.dirname(root), displayName);
  if (!abs.startsWith(`${root}${path.sep}`) || !/\.ya?ml$/.test(abs) || !existsSync(abs)) return undefined;
  return abs;
}

/** `resources[patient].expression` → ['resources', {name: 'patient'}, 'expression']. */
function segments(field: string): (string | number | { name: string })[] {
  const out: (string | number | { name: string })[] = [];
  for (const part of field.split('.')) {
    const m = /^([^[\]]*)((?:\[[^\]]+\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) out.push(m[1]);
    for (const [, sel] of (m[2] ?? '').matchAll(/\[([^\]]+)\]/g)) {
      out.push(/^\d+$/.test(sel!) ? Number(sel) : { name: sel! });
    }
  }
  return out;
}

function find(node: unknown, path: ReturnType<typeof segments>): { key?: Node; value?: Node } | undefined {
  let current: { key?: Node; value?: Node } = { value: node as Node };
  for (const seg of path) {
    const v = current.value;
    if (typeof seg === 'string') {
      if (!isMap(v)) return undefined;
      const pair = v.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return undefined;
      current = { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined };
    } else {
      if (!isSeq(v)) return undefined;
      const item =
        typeof seg === 'number'
          ? v.items[seg]
          : v.items.find((i) => isMap(i) && String(i.get('name')) === seg.name);
      if (!item) return undefined;
      current = { value: item as Node };
    }
  }
  return current;
}

/**
 * The position of a diagnostic's file and path. A JSONata "at position N" inside a block expression
 * (`expression: |`) is turned into the line of the file that holds it.
 */
export function locateDiagnostic(mappingsDir: string, diagnostics: string): MappingPosition | undefined {
  const m = DIAGNOSTIC.exec(diagnostics);
  if (!m) return undefined;
  const [, file, line, column, field] = m as unknown as [string, string, string?, string?, string?];
  const base: MappingPosition = { file, ...(field ? { field } : {}) };
  if (line) return { ...base, line: Number(line), column: Number(column) };
  const abs = mappingFileOf(mappingsDir, file);
  if (!abs || !field) return base;
  const text = readFileSync(abs, 'utf8');
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, keepSourceTokens: false });
  const found = find(doc.contents, segments(field));
  const at = found?.value?.range ?? found?.key?.range;
  if (!found || !at) return base;
  let pos = counter.linePos(at[0]);
  const last = found.value?.range ? counter.linePos(Math.max(at[0], at[1] - 1)).line : pos.line;
  const offset = Number(POSITION.exec(diagnostics)?.[1]);
  const value = found.value;
  if (Number.isFinite(offset) && isScalar(value) && typeof value.value === 'string') {
    const before = value.value.slice(0, Math.max(0, offset - 1)).split('\n');
    // A block scalar's text starts on the line after its `|` header.
    const block = value.type === Scalar.BLOCK_LITERAL || value.type === Scalar.BLOCK_FOLDED;
    const indent = block ? (/\n([ ]*)\S/.exec(text.slice(at[0]))?.[1]?.length ?? 0) : 0;
    const lineInValue = before.length - 1 + (block ? 1 : 0);
    const col = (before.at(-1)?.length ?? 0) + 1;
    pos = { line: pos.line + lineInValue, col: lineInValue === 0 ? pos.col + col - 1 : indent + col };
  }
  return { ...base, line: pos.line, column: pos.col, ...(last > pos.line ? { endLine: last } : {}) };
}

/** The text of a mapping file named as diagnostics name it; undefined outside the mappings folder. */
export function readMappingSource(mappingsDir: string, displayName: string): string | undefined {
  const abs = mappingFileOf(mappingsDir, displayName);
  return abs ? readFileSync(abs, 'utf8') : undefined;
}
