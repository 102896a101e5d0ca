// Test helpers for record checks: issue lookups by path and rule.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { expect } from 'vitest';

export const NOW = new Date('2026-01-15T12:00:00Z');
export const OPTS = { now: NOW, nhsNumberCheck: 'error' } as const;

export const errorCodeOf = (i: OperationOutcomeIssue): string | undefined => i.details?.coding?.[0]?.code;

export function issueAt(issues: OperationOutcomeIssue[], path: string): OperationOutcomeIssue {
  const found = issues.find((i) => i.expression?.[0] === path);
  expect(
    found,
    `an issue at ${path} in ${JSON.stringify(issues.map((i) => i.expression?.[0]))}`,
  ).toBeDefined();
  return found as OperationOutcomeIssue;
}

/** No diagnostics may contain any of the (patient) values. */
export function expectNoEcho(issues: OperationOutcomeIssue[], ...values: string[]): void {
  for (const i of issues) for (const v of values) expect(i.diagnostics).not.toContain(v);
}
