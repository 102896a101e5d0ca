// Drops what JSONata yields for absent optional data (undefined, null, '', [], {}) so mapping authors
// need not guard every optional field, and turns JSONata sequences into plain JSON.

/** Returns a plain-JSON copy without empty values, or undefined when nothing is left. */
export function prune(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'function') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const p = prune(value[i]);
      if (p !== undefined) out.push(p);
    }
    return out.length > 0 ? out : undefined;
  }
  if (typeof value === 'object') {
    // Own enumerable string keys, as Object.entries gives them, without an array of pairs per object.
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const k in src) {
      if (!Object.hasOwn(src, k)) continue;
      const p = prune(src[k]);
      if (p !== undefined) {
        out[k] = p;
        kept++;
      }
    }
    return kept > 0 ? out : undefined;
  }
  return value;
}
