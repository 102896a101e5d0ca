// The one error model: every failure is an OperationOutcome carried by NavbridgeError, with a stable
// code (BaRS-style) from which the HTTP status is derived in one place. Errors are made only by the
// builders in ./builders.ts (one per code); this module holds the class, the codes and issue helpers.
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** Every code navbridge answers with, and its HTTP status (README "Error codes" lists each). */
export const ERROR_CODES = {
  REC_BAD_REQUEST: 400,
  REC_UNAUTHORIZED: 401,
  REC_FORBIDDEN: 403,
  REC_NOT_FOUND: 404,
  REC_METHOD_NOT_ALLOWED: 405,
  REC_NOT_ACCEPTABLE: 406,
  REC_CONFLICT: 409,
  REC_TOO_LARGE: 413,
  REC_UNSUPPORTED_MEDIA_TYPE: 415,
  REC_UNPROCESSABLE_ENTITY: 422,
  REC_TOO_MANY_REQUESTS: 429,
  REC_SERVER_ERROR: 500,
  REC_TOO_EARLY: 425,
  SERVICE_UNAVAILABLE: 503,
  MAPPING_ERROR: 500,
  CONFIG_ERROR: 500,
  MASTER_KEY_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/http-error-codes';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueType = OperationOutcomeIssue['code'];

export interface IssueInput {
  severity?: IssueSeverity;
  code?: IssueType;
  /** Human-readable, never containing patient data. */
  diagnostics: string;
  /** FHIRPath or record path of the element at fault. */
  expression?: string | readonly string[];
  /** Stable error code, e.g. REC_BAD_REQUEST or a rule id. */
  errorCode?: string;
}

export function issue(input: IssueInput): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = {
    severity: input.severity ?? 'error',
    code: input.code ?? 'invalid',
    diagnostics: input.diagnostics,
  };
  if (input.errorCode) {
    out.details = { coding: [{ system: ERROR_CODE_SYSTEM, code: input.errorCode }] };
  }
  if (input.expression !== undefined) {
    out.expression = typeof input.expression === 'string' ? [input.expression] : [...input.expression];
  }
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/** The stable code an issue carries in `details.coding` (undefined when it carries none). */
export const issueCode = (i: OperationOutcomeIssue): string | undefined => i.details?.coding?.[0]?.code;

/** The same issues re-labelled with another stable code (e.g. record problems of an inbound request). */
export function relabel(
  issues: readonly OperationOutcomeIssue[],
  errorCode: string,
): OperationOutcomeIssue[] {
  return issues.map((i) => ({ ...i, details: { coding: [{ system: ERROR_CODE_SYSTEM, code: errorCode }] } }));
}

export class NavbridgeError extends Error {
  override readonly name = 'NavbridgeError';
  readonly code: ErrorCode;
  readonly outcome: OperationOutcome;
  /** Said in the log only, never to the caller (e.g. which check refused a token). */
  logDetail: string | undefined;

  /** Use the builders in ./builders.ts: one per code, so a throw site is one line. */
  constructor(code: ErrorCode, issues: OperationOutcomeIssue[]) {
    super(issues.map((i) => i.diagnostics ?? i.code).join('; '));
    this.code = code;
    this.outcome = outcome(issues);
    this.logDetail = undefined;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** Errors crossing process boundaries lose their prototype: check by name. */
export function isNavbridgeError(err: unknown): err is NavbridgeError {
  return err instanceof Error && err.name === 'NavbridgeError' && 'outcome' in err;
}
