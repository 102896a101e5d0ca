// The one error model: every failure is an OperationOutcome carried by NavbridgeError, with a stable
// code (BaRS-style) from which the HTTP status is derived in one place.
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

export const ERROR_CODES = {
  REC_BAD_REQUEST: 400,
  REC_UNAUTHORIZED: 401,
  REC_FORBIDDEN: 403,
  REC_NOT_FOUND: 404,
  REC_CONFLICT: 409,
  REC_PRECONDITION_FAILED: 412,
  REC_TOO_LARGE: 413,
  REC_UNSUPPORTED_MEDIA_TYPE: 415,
  REC_UNPROCESSABLE_ENTITY: 422,
  REC_SERVER_ERROR: 500,
  MAPPING_ERROR: 500,
  CONFIG_ERROR: 500,
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
  expression?: string | string[];
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
    out.expression = Array.isArray(input.expression) ? input.expression : [input.expression];
  }
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

export class NavbridgeError extends Error {
  override readonly name = 'NavbridgeError';
  readonly code: ErrorCode;
  readonly outcome: OperationOutcome;

  constructor(code: ErrorCode, issues: OperationOutcomeIssue[] | string) {
    const list =
      typeof issues === 'string'
        ? [issue({ diagnostics: issues, errorCode: code, code: 'processing' })]
        : issues;
    super(list.map((i) => i.diagnostics ?? i.code).join('; '));
    this.code = code;
    this.outcome = outcome(list);
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** Errors crossing process boundaries lose their prototype: check by name. */
export function isNavbridgeError(err: unknown): err is NavbridgeError {
  return err instanceof Error && err.name === 'NavbridgeError' && 'outcome' in err;
}

export const badRequest = (diagnostics: string, expression?: string): NavbridgeError =>
  new NavbridgeError('REC_BAD_REQUEST', [
    issue({ diagnostics, errorCode: 'REC_BAD_REQUEST', ...(expression ? { expression } : {}) }),
  ]);

export const unprocessable = (diagnostics: string, expression?: string): NavbridgeError =>
  new NavbridgeError('REC_UNPROCESSABLE_ENTITY', [
    issue({
      diagnostics,
      code: 'processing',
      errorCode: 'REC_UNPROCESSABLE_ENTITY',
      ...(expression ? { expression } : {}),
    }),
  ]);
