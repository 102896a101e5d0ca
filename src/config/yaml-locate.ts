// Finds where a value sits in a YAML file — by the path a diagnostic names (`resources[task].expression`,
// `tables.need-domain.codes.x`) and optionally an offset inside the value (a JSONata position) — so
// `mappings check` can say file:line:column, the form editors and CI annotate.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';

export interface YamlPosition {
  line: number;
  column: number;
}

/** `resources[task].expression` → ['resources', {item: 'task'}, 'expression']. */
function tokens(path: string): (string | { item: string })[] {
  const out: (string | { item: string })[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g))
    out.push(m[1] !== undefined ? m[1] : { item: m[2]! });
  return out;
}

/** A sequence item by index, or by its `name` or `id` (how diagnostics name resources and checks). */
function itemOf(node: Node, key: string): Node | undefined {
  if (!isSeq(node)) return undefined;
  if (/^\d+$/.test(key)) return (node.items[Number(key)] as Node | undefined) ?? undefined;
  return node.items.find((it) => isMap(it) && [it.get('name'), it.get('id')].some((v) => v === key)) as
    | Node
    | undefined;
}

/** Offset of the character `offset` characters into a scalar's value (block scalars: line by line). */
function offsetInScalar(text: string, node: Scalar, offset: number): number {
  const start = node.range?.[0] ?? 0;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const value = String(node.value).slice(0, offset);
    const lineDelta = value.split('\n').length - 1;
    const colInLine = offset - (value.lastIndexOf('\n') + 1);
    let at = text.indexOf('\n', start) + 1;
    // Skip blank lines before the content, then as many content lines as the offset crosses.
    while (
      at > 0 &&
      at < text.length &&
      /^[ \t]*\r?\n/.test(text.slice(at, text.indexOf('\n', at) + 1 || undefined))
    )
      at = text.indexOf('\n', at) + 1;
    // The block's indentation is its first content line's; deeper lines keep their extra spaces.
    const indent = /^[ ]*/.exec(text.slice(at))?.[0].length ?? 0;
    for (let i = 0; i < lineDelta && at > 0; i++) at = text.indexOf('\n', at) + 1;
    return at + indent + colInLine;
  }
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
  return start + quoted + offset;
}

/**
 * The line and column (1-based) of the deepest node of `path` found in `text`, plus `offset` inside
 * it when it is a scalar; the document's start when nothing of the path is found.
 */
export function locateInYaml(text: string, path: string, offset?: number): YamlPosition {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  let node: Node | undefined = doc.contents ?? undefined;
  let at = node?.range?.[0] ?? 0;
  // A value found under a key is reported at its key (`nation: narnia` at `nation`), except inside it.
  let keyAt: number | undefined;
  let complete = true;
  for (const t of tokens(path)) {
    if (!node) break;
    let next: Node | undefined;
    keyAt = undefined;
    if (typeof t === 'string' && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === t);
      if (pair) {
        next = (pair.value as Node | null) ?? undefined;
        keyAt = (pair.key as Node).range?.[0];
        at = next?.range?.[0] ?? keyAt ?? at;
        if (!next) node = undefined;
      }
    } else {
      next = itemOf(node, typeof t === 'string' ? t : t.item);
      if (next) at = next.range?.[0] ?? at;
    }
    if (!next) {
      complete = complete && node === undefined;
      if (node) complete = false;
      break;
    }
    node = next;
  }
  if (complete && node && isScalar(node) && offset !== undefined && typeof node.value === 'string')
    at = offsetInScalar(text, node, offset);
  else if (complete && keyAt !== undefined) at = keyAt;
  const { line, col } = lineCounter.linePos(at);
  return { line, column: col };
}
