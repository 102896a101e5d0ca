// The first differences between two JSON values, as readable lines for `mappings test`.

const MAX_VALUE_CHARS = 100;

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function walk(expected: unknown, actual: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (kind(expected) !== kind(actual)) {
    out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n && out.length < limit; i++)
      walk(expected[i], actual[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (kind(expected) === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])];
    for (const k of keys) {
      if (out.length >= limit) return;
      walk(e[k], a[k], path ? `${path}.${k}` : k, out, limit);
    }
    const order = (o: Record<string, unknown>) => Object.keys(o).join(',');
    if (out.length === 0 && order(e) !== order(a))
      out.push(`${path || '(root)'}: same members in a different order`);
    return;
  }
  if (expected !== actual) out.push(`${path || '(root)'}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Up to `limit` lines naming the paths where `actual` differs from `expected`; empty when equal. */
export function jsonDiff(expected: unknown, actual: unknown, limit = 10): string[] {
  const out: string[] = [];
  walk(expected, actual, '', out, limit);
  return out;
}
