// Drops what JSONata yields for absent optional data (undefined, null, '', [], {}) so mapping authors
// need not guard every optional field, and turns JSONata sequences into plain JSON.

/** Returns a plain-JSON copy without empty values, or undefined when nothing is left. */
export function prune(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'function') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const p = prune(v);
      if (p !== undefined) out.push(p);
    }
    return out.length > 0 ? out : undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}
