// The names an expression may use — JSONata's built-in functions and the bindings navbridge gives a
// mapping — and the nearest valid name for a misspelt one (`mappings check` suggests it).

/** JSONata 2.x built-in functions (test/unit/mapping/names.test.ts checks each exists in the engine). */
export const JSONATA_FUNCTIONS = [
  'abs',
  'append',
  'assert',
  'average',
  'base64decode',
  'base64encode',
  'boolean',
  'ceil',
  'clone',
  'contains',
  'count',
  'decodeUrl',
  'decodeUrlComponent',
  'distinct',
  'each',
  'encodeUrl',
  'encodeUrlComponent',
  'error',
  'eval',
  'exists',
  'filter',
  'floor',
  'formatBase',
  'formatInteger',
  'formatNumber',
  'fromMillis',
  'join',
  'keys',
  'length',
  'lookup',
  'lowercase',
  'map',
  'match',
  'max',
  'merge',
  'millis',
  'min',
  'not',
  'now',
  'number',
  'pad',
  'parseInteger',
  'power',
  'random',
  'reduce',
  'replace',
  'reverse',
  'round',
  'shuffle',
  'sift',
  'single',
  'sort',
  'split',
  'spread',
  'sqrt',
  'string',
  'substring',
  'substringAfter',
  'substringBefore',
  'sum',
  'toMillis',
  'trim',
  'type',
  'uppercase',
  'zip',
] as const;

/** Edit distance (insert, delete, substitute, swap of neighbours), for suggestions only. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a third of the name's length (at least 2 edits), else undefined. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}

/** ` (did you mean 'x'?)` or '' — appended to a message about an unknown name. */
export function didYouMean(name: string, candidates: Iterable<string>, prefix = ''): string {
  const near = nearestName(name, candidates);
  return near === undefined ? '' : ` (did you mean '${prefix}${near}'?)`;
}
