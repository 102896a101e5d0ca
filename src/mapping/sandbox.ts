// Sandboxed JSONata: every expression is compiled once with evaluation guardrails (time, stack depth,
// sequence size), and $eval/$now/$millis are replaced by functions that fail the mapping.

import type { OperationOutcomeIssue } from 'fhir/r4.js';
import jsonata from 'jsonata';
import { issue } from '../errors/index.js';

/** Guardrails per evaluation of one expression. A record mapping never legitimately needs more. */
export interface SandboxLimits {
  timeoutMs: number;
  maxDepth: number;
  maxSequence: number;
}
export const DEFAULT_LIMITS: SandboxLimits = { timeoutMs: 2_000, maxDepth: 400, maxSequence: 100_000 };

/** Functions mapping authors must not use: output must not depend on the time of mapping or on code built at run time. */
export const DISABLED_FUNCTIONS = ['eval', 'now', 'millis'] as const;

/** Where an expression comes from, for diagnostics: `mappings/referral/mapping.yaml resources[patient].expression`. */
export interface ExpressionOrigin {
  file: string;
  field: string;
}

export interface CompiledExpression extends ExpressionOrigin {
  source: string;
  evaluate(input: unknown, bindings: Record<string, unknown>): Promise<unknown>;
  references(): ExpressionReferences;
}

/** Thrown by binding functions ($code, disabled functions...): the message carries no record values. */
export class MappingFunctionError extends Error {
  override readonly name = 'MappingFunctionError';
}

interface JsonataErrorLike {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
  value?: unknown;
}

const isJsonataError = (err: unknown): err is JsonataErrorLike =>
  typeof err === 'object' && err !== null && typeof (err as JsonataErrorLike).code === 'string';

/** JSONata messages may quote the offending value (record data): replace it before reporting. */
function redact(err: JsonataErrorLike): string {
  let message = err.message ?? 'error';
  if (err.value !== undefined && err.value !== null && typeof err.value !== 'object') {
    const v = String(err.value);
    if (v.length > 0) message = message.split(v).join('<value>');
  }
  return message;
}

const LIMIT_ERRORS = new Set(['D1011', 'D1012', 'D2014', 'D2015']);

export function describeOrigin(origin: ExpressionOrigin): string {
  return `${origin.file} ${origin.field}`;
}

export function mappingIssue(
  origin: ExpressionOrigin,
  message: string,
  errorCode = 'MAPPING_ERROR',
): OperationOutcomeIssue {
  return issue({
    code: 'processing',
    diagnostics: `${describeOrigin(origin)}: ${message}`,
    expression: origin.field,
    errorCode,
  });
}

/** Converts anything an evaluation throws into an issue naming the file and field, never record values. */
export function evaluationIssue(origin: ExpressionOrigin, err: unknown): OperationOutcomeIssue {
  if (err instanceof MappingFunctionError) return mappingIssue(origin, err.message);
  if (isJsonataError(err)) {
    const where = typeof err.position === 'number' ? ` at position ${err.position}` : '';
    // For guardrail errors the quoted value is our own limit, not record data.
    if (LIMIT_ERRORS.has(err.code ?? '')) {
      return mappingIssue(
        origin,
        `JSONata ${err.code}${where} (evaluation limit exceeded): ${err.message ?? ''}`,
      );
    }
    return mappingIssue(origin, `JSONata ${err.code}${where}: ${redact(err)}`);
  }
  if (err instanceof RangeError) return mappingIssue(origin, 'evaluation limit exceeded (stack overflow)');
  return mappingIssue(origin, 'unexpected evaluation failure');
}

/** A JSONata evaluation frame, as the engine passes it to its `__evaluate_entry` hook. */
interface JsonataFrame {
  base: JsonataBaseFrame;
  bind(name: string | symbol, value: unknown): void;
}
interface JsonataBaseFrame extends JsonataFrame {
  depth: number;
  guardrails: () => void;
  createSequence: (...first: unknown[]) => unknown[];
}

/** JSONata calls the function bound to this symbol before evaluating each node of the expression. */
const EVALUATE_ENTRY = Symbol.for('jsonata.__evaluate_entry');
/** The clock is read once per this many evaluated nodes (a power of two). */
export const CLOCK_EVERY_NODES = 64;

/**
 * JSONata's own guardrails (the `timeout` and `stack` options) read the clock at every node it
 * evaluates: Date.now() was about a tenth of a mapping's time. On the first node of each evaluation
 * this hook puts in their place the same two checks with the clock read once per CLOCK_EVERY_NODES
 * nodes (a runaway loop evaluates millions), gives the evaluation's sequences one shared bounded
 * `push` (boundedSequences), and unbinds itself for the rest of that evaluation. The engine's options
 * stay set: should a JSONata version stop calling the hook or reading `base.guardrails` and
 * `base.createSequence`, its own checks remain in force (only slower; the sandbox tests count the
 * clock reads, so the suite says so).
 */
function installSampledGuardrails(limits: SandboxLimits) {
  const createSequence = boundedSequences(limits.maxSequence);
  return (_node: unknown, _input: unknown, environment: JsonataFrame): void => {
    const base = environment.base;
    base.bind(EVALUATE_ENTRY, undefined);
    if (limits.maxSequence > 0) base.createSequence = createSequence;
    const start = Date.now();
    let nodes = 0;
    base.guardrails = () => {
      if (limits.maxDepth > 0 && base.depth > limits.maxDepth)
        throw { code: 'D1011', value: limits.maxDepth, stack: new Error().stack };
      if (
        limits.timeoutMs > 0 &&
        (++nodes & (CLOCK_EVERY_NODES - 1)) === 0 &&
        Date.now() - start > limits.timeoutMs
      )
        throw { code: 'D1012', value: limits.timeoutMs, stack: new Error().stack };
    };
  };
}

/**
 * JSONata's `sequence` option makes a new closure as the `push` of every sequence it creates (many
 * per node); this gives every sequence the same bounded `push`, made once per expression.
 */
function boundedSequences(maxSequence: number): (...first: unknown[]) => unknown[] {
  function push(this: unknown[], ...items: unknown[]): number {
    if (this.length + items.length > maxSequence)
      throw { code: 'D2015', value: maxSequence, stack: new Error().stack };
    return Array.prototype.push.apply(this, items);
  }
  return function createSequence(...first: unknown[]): unknown[] {
    const sequence = [] as unknown[] & { sequence?: boolean };
    sequence.push = push;
    sequence.sequence = true;
    if (first.length === 1) sequence.push(first[0]);
    return sequence;
  };
}

/** True when the string holds a UTF-16 surrogate (a character outside the Basic Multilingual Plane). */
const hasSurrogate = (s: string): boolean => /[\uD800-\uDFFF]/.test(s);

/**
 * JSONata's `$substring` with its exact semantics (code points, negative start from the end), without
 * building an array of every character first: JSONata's own takes time and memory in the whole string's
 * length on every call, so `$substring($reason, 0, 5000)` over a 750 kB note cost ~10 ms of blocked
 * event loop. Strings without surrogates (code units are code points) are sliced natively.
 */
export function linearSubstring(str: string | undefined, start: number, length?: number): string | undefined {
  if (str === undefined) return undefined;
  if (hasSurrogate(str)) {
    const chars = Array.from(str);
    return substringOf(chars, chars.length, start, length).join('');
  }
  return substringOf(str, str.length, start, length);
}
function substringOf<T extends string | string[]>(s: T, size: number, start: number, length?: number): T {
  const from = size + start < 0 ? 0 : start;
  if (length === undefined) return s.slice(from) as T;
  if (length <= 0) return (typeof s === 'string' ? '' : []) as T;
  return s.slice(from, from >= 0 ? from + length : size + from + length) as T;
}

/** JSONata's `$length` (code points) without an array of every character. */
export function linearLength(str: string | undefined): number | undefined {
  if (str === undefined) return undefined;
  if (!hasSurrogate(str)) return str.length;
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || (str.charCodeAt(i - 1) & 0xfc00) !== 0xd800) n++;
  }
  return n;
}

const disabled = (name: string) => (): never => {
  throw new MappingFunctionError(
    `$${name}() is disabled in mappings (use $ctx.now for the mapping time; no run-time code)`,
  );
};

const DISABLED_BINDINGS: Record<string, unknown> = Object.fromEntries(
  DISABLED_FUNCTIONS.map((name) => [name, disabled(name)]),
);

/**
 * The bindings with the disabled functions over them (so no binding can bring `$eval` back), made once
 * per bindings object rather than on every evaluation: a mapping evaluates several expressions with
 * the same bindings (when, key, owner, expression, patch of every resource). Bindings objects are
 * never changed after they are made (the engine makes a new one per forEach item).
 */
const sealedBindings = new WeakMap<object, Record<string, unknown>>();
function withDisabled(bindings: Record<string, unknown>): Record<string, unknown> {
  let merged = sealedBindings.get(bindings);
  if (!merged) {
    merged = Object.freeze({ ...bindings, ...DISABLED_BINDINGS });
    sealedBindings.set(bindings, merged);
  }
  return merged;
}

/** What an expression refers to, read from its AST (for `mappings check`). */
export interface ExpressionReferences {
  /** Every `$name` used, called or passed as a value. */
  variables: string[];
  /** Function calls with their literal string arguments (`$code('need-domain', 'benefits')`). */
  calls: { name: string; firstArg?: string; secondArg?: string; position?: number }[];
  /** Every `$name` use with the offset where it starts in the source, and whether it is called. */
  uses: { name: string; start: number; called: boolean }[];
  /** Names the expression binds itself: `$x := …`, lambda parameters, `@$focus`, `#$index`. */
  declared: string[];
}

type AstNode = {
  type?: string;
  value?: unknown;
  position?: number;
  focus?: unknown;
  index?: unknown;
  lhs?: { type?: string; value?: unknown };
  procedure?: { type?: string; value?: unknown; position?: number };
  arguments?: { type?: string; value?: unknown }[];
};

const literal = (arg: { type?: string; value?: unknown } | undefined): string | undefined =>
  arg?.type === 'string' && typeof arg.value === 'string' ? arg.value : undefined;

// JSONata positions mark the end of a token: `$name` starts name.length + 1 characters earlier.
const startOf = (name: string, position: number | undefined): number =>
  typeof position === 'number' ? Math.max(0, position - name.length - 1) : 0;

function collectReferences(node: unknown, out: ExpressionReferences, callees = new WeakSet<object>()): void {
  if (Array.isArray(node)) {
    for (const n of node) collectReferences(n, out, callees);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as AstNode;
  if (n.type === 'variable' && typeof n.value === 'string' && n.value !== '') out.variables.push(n.value);
  if (n.type === 'bind' && n.lhs?.type === 'variable' && typeof n.lhs.value === 'string')
    out.declared.push(n.lhs.value);
  if (n.type === 'lambda')
    for (const a of n.arguments ?? []) if (typeof a.value === 'string') out.declared.push(a.value);
  if (typeof n.focus === 'string') out.declared.push(n.focus);
  if (typeof n.index === 'string') out.declared.push(n.index);
  const callee = (n.type === 'function' || n.type === 'partial') && n.procedure?.type === 'variable';
  if (callee && n.procedure) {
    callees.add(n.procedure);
    const name = String(n.procedure.value);
    const [first, second] = [literal(n.arguments?.[0]), literal(n.arguments?.[1])];
    out.calls.push({
      name,
      ...(first !== undefined ? { firstArg: first } : {}),
      ...(second !== undefined ? { secondArg: second } : {}),
      ...(typeof n.position === 'number' ? { position: n.position } : {}),
    });
    out.uses.push({ name, start: startOf(name, n.procedure.position), called: true });
  } else if (n.type === 'variable' && typeof n.value === 'string' && !['', '$'].includes(n.value)) {
    if (callees.has(n)) return;
    out.uses.push({ name: n.value, start: startOf(n.value, n.position), called: false });
  }
  for (const v of Object.values(node)) collectReferences(v, out, callees);
}

/**
 * Compiles one expression. Throws an issue list (via the returned error) on a syntax error, naming the
 * file, field, JSONata code and position.
 */
export function compileExpression(
  source: string,
  origin: ExpressionOrigin,
  limits: SandboxLimits = DEFAULT_LIMITS,
): CompiledExpression | OperationOutcomeIssue {
  let expr: jsonata.Expression;
  try {
    expr = jsonata(source, {
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
      sequence: limits.maxSequence,
    });
  } catch (err) {
    const e = isJsonataError(err) ? err : {};
    const where = typeof e.position === 'number' ? ` at position ${e.position}` : '';
    return mappingIssue(
      origin,
      `does not compile: JSONata ${e.code ?? 'error'}${where}: ${e.message ?? ''}`.trim(),
    );
  }
  // Also bound on the compiled expression, so the disabled versions win over JSONata's built-ins
  // even when a caller forgets the per-evaluation bindings.
  for (const name of DISABLED_FUNCTIONS) expr.assign(name, DISABLED_BINDINGS[name]);
  // JSONata's types name bindings by string; the engine's hooks are bound by symbol.
  expr.assign(EVALUATE_ENTRY as unknown as string, installSampledGuardrails(limits));
  // Linear versions of the string functions JSONata implements by splitting into characters (same
  // signatures, so argument checks and context binding behave as the built-ins do).
  expr.registerFunction('substring', linearSubstring, '<s-nn?:s>');
  expr.registerFunction('length', linearLength, '<s-:n>');
  return {
    ...origin,
    source,
    evaluate: (input, bindings) => expr.evaluate(input, withDisabled(bindings)),
    references: () => {
      const refs: ExpressionReferences = { variables: [], calls: [], uses: [], declared: [] };
      collectReferences(expr.ast(), refs);
      refs.variables = [...new Set(refs.variables)].sort();
      refs.declared = [...new Set(refs.declared)].sort();
      return refs;
    },
  };
}
