// zod issues → OperationOutcome issues. The messages come from our error map and name the path and
// the rule only: inputs are patient data, so no message may echo a value.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { z } from 'zod';
import { type IssueClass, type IssueType, zodIssues } from '../errors/index.js';
import { isCalendarDate } from './dates.js';

type RawIssue = z.core.$ZodRawIssue;

export { formatPath } from '../errors/index.js';

const plural = (n: number | bigint, word: string): string => `${n} ${word}${n === 1 || n === 1n ? '' : 's'}`;

function sizeMessage(iss: z.core.$ZodRawIssue<z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall>): string {
  const big = iss.code === 'too_big';
  const bound = big
    ? (iss as { maximum: number | bigint }).maximum
    : (iss as { minimum: number | bigint }).minimum;
  switch (iss.origin) {
    case 'string':
      if (!big && bound === 1) return 'must not be empty';
      return `must be ${big ? 'at most' : 'at least'} ${plural(bound, 'character')}`;
    case 'array':
    case 'set':
      return `must have ${big ? 'at most' : 'at least'} ${plural(bound, 'item')}`;
    default:
      return `must be ${big ? 'at most' : 'at least'} ${String(bound)}`;
  }
}

/**
 * zod error map: never reads `iss.input` into the message. Custom messages given in the schemas
 * (`regex(re, 'must be …')`) win, because zod consults the schema's own error first.
 */
export function recordErrorMap(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      return `must be ${iss.expected === 'int' ? 'an integer' : `of type ${iss.expected}`}`;
    case 'invalid_value':
      return `must be one of: ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return iss.keys.length === 1 ? 'unknown field' : 'unknown fields';
    case 'too_big':
    case 'too_small':
      return sizeMessage(iss);
    case 'invalid_format':
      return `must be a valid ${iss.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`;
    case 'invalid_union':
      if ('discriminator' in iss && iss.discriminator !== undefined) {
        const options = (iss as { options?: unknown[] }).options ?? [];
        return `must be one of: ${options.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      return 'does not match any allowed shape';
    default:
      return 'is invalid';
  }
}

/** zod reports a failed discriminator on the whole object: it is "required" when the key is absent. */
function isMissingDiscriminator(iss: z.core.$ZodIssue, input: unknown): boolean {
  const discriminator = (iss as { discriminator?: string }).discriminator;
  if (discriminator === undefined) return false;
  return (
    typeof input !== 'object' ||
    input === null ||
    (input as Record<string, unknown>)[discriminator] === undefined
  );
}

/** How a record's zod issue is reported: "required", out-of-range values, impossible dates. */
function classify(iss: z.core.$ZodIssue): IssueClass {
  const input = (iss as { input?: unknown }).input;
  let code: IssueType = 'invalid';
  let errorCode = 'REC_BAD_REQUEST';
  // reportInput is on, so an undefined input means the field is absent (enums report invalid_value).
  if (input === undefined) code = 'required';
  else if (iss.code === 'invalid_union' && isMissingDiscriminator(iss, input)) code = 'required';
  else if (iss.code === 'too_big' && iss.origin === 'string') {
    code = 'too-long';
    errorCode = 'STRING_TOO_LONG';
  } else if (iss.code === 'invalid_value' || iss.code === 'too_big' || iss.code === 'too_small')
    code = 'value';
  else if (iss.code === 'invalid_union' && 'discriminator' in iss) code = 'value';
  else if (iss.code === 'invalid_format' && (iss.format === 'date' || iss.format === 'datetime')) {
    code = 'value';
    const datePart = typeof input === 'string' ? /^(\d{4}-\d{2}-\d{2})/.exec(input)?.[1] : undefined;
    if (datePart !== undefined && !isCalendarDate(datePart)) errorCode = 'DATE_IMPOSSIBLE';
  }
  // A schema's own message (e.g. "must be a calendar date") would mislead for a missing field.
  return { code, errorCode, ...(code === 'required' ? { message: 'is required' } : {}) };
}

/** A record's zod issues as OperationOutcome issues at record paths (`goals[0].steps[1].id`). */
export function toOutcomeIssues(issues: readonly z.core.$ZodIssue[]): OperationOutcomeIssue[] {
  return zodIssues(issues, { errorCode: 'REC_BAD_REQUEST', rootName: 'record', classify });
}
