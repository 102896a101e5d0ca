// The one zod → OperationOutcome translator, for every trust boundary (records, HTTP input, config and
// mapping files, inverse mappings, context files): every problem at once, each at its own path (an
// unknown key is named at `parent.key`), and never the input's value in a message.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { z } from 'zod';
import { type IssueType, issue } from './outcome.js';

type PathKey = PropertyKey;

/** `['goals', 0, 'steps', 1, 'id']` → `goals[0].steps[1].id`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export interface IssueClass {
  code?: IssueType;
  errorCode?: string;
  /** Replaces the zod message (which the schemas' error maps already keep free of values). */
  message?: string;
}

export interface ZodIssueOptions {
  /** The stable code each issue carries unless `classify` says otherwise. */
  errorCode: string;
  /** The document the issues are in: diagnostics read `<file> <path>: <message>`. */
  file?: string;
  /** Path segments before each issue's own: `['query']` → `query.limit: …`. */
  root?: readonly PathKey[];
  /** How a path is written (default `a.b[0].c`; mapping files name resources by name). */
  formatPath?: (path: readonly PathKey[]) => string;
  /** What an empty path is called in diagnostics (default `(root)`). */
  rootName?: string;
  /** Per-issue type, code and message (records tell "required" and impossible dates apart). */
  classify?: (iss: z.core.$ZodIssue) => IssueClass;
}

/** zod issues → OperationOutcome issues. */
export function zodIssues(
  issues: readonly z.core.$ZodIssue[],
  opts: ZodIssueOptions,
): OperationOutcomeIssue[] {
  const fmt = opts.formatPath ?? formatPath;
  const root = opts.root ?? [];
  const out: OperationOutcomeIssue[] = [];
  const push = (path: readonly PathKey[], type: IssueType, errorCode: string, message: string) => {
    const where = fmt([...root, ...path]);
    const name = where || (opts.rootName ?? '(root)');
    const prefix = opts.file ? `${opts.file} ${name}` : name;
    out.push(
      issue({
        code: type,
        diagnostics: `${prefix}: ${message}`,
        ...(where ? { expression: where } : {}),
        errorCode,
      }),
    );
  };
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      // One issue per key, at the key's own path, so each unknown field is named exactly.
      for (const key of iss.keys) push([...iss.path, key], 'structure', opts.errorCode, 'unknown field');
      continue;
    }
    const c = opts.classify?.(iss) ?? {};
    push(iss.path, c.code ?? 'invalid', c.errorCode ?? opts.errorCode, c.message ?? iss.message);
  }
  return out;
}
