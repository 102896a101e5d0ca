// Plain JSON values (what a FHIR resource, a record or an OperationOutcome is).

/**
 * A deep copy of a JSON value: arrays and plain objects copied, own enumerable keys only; strings,
 * numbers, booleans and null as they are. Several times faster than structuredClone on a mapped
 * bundle's resources (7.6 kB of JSON: 8–11 µs against 56–60 µs here), which goes through the V8
 * serializer; for JSON values the result is the same.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  if (value !== null && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k in src) {
      if (!Object.hasOwn(src, k)) continue;
      // An own "__proto__" key (JSON.parse makes one) stays a key: assigned, it would set the prototype.
      if (k === '__proto__')
        Object.defineProperty(out, k, {
          value: cloneJson(src[k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k] = cloneJson(src[k]);
    }
    return out as T;
  }
  return value;
}
