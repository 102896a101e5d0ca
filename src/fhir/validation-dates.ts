// Calendar validity of date, dateTime and instant values, which medplum checks only by pattern
// (`2020-02-30` passes it). Values that fail the pattern are left to medplum's own issue.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import type { ElementVisit } from './validation-walk.js';

const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);
const PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))?)?)?)?$/;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/** True when every present component is within the calendar (month 1–12, day within the month, ...). */
export function isCalendarValid(text: string): boolean {
  const m = PATTERN.exec(text);
  if (!m) return true; // not ours to report: medplum flags the format
  const [, y, mo, d, h, mi, s, , oh, om] = m.map((x) => (x === undefined ? undefined : Number(x)));
  if (mo !== undefined && (mo < 1 || mo > 12)) return false;
  if (y !== undefined && mo !== undefined && d !== undefined && (d < 1 || d > daysIn(y, mo))) return false;
  if (h !== undefined && h > 23) return false;
  if (mi !== undefined && mi > 59) return false;
  if (s !== undefined && s > 59) return false;
  if (oh !== undefined && (oh > 14 || (om ?? 0) > 59)) return false;
  return true;
}

export function checkCalendarDate(v: ElementVisit): OperationOutcomeIssue[] {
  if (!DATE_TYPES.has(v.type) || typeof v.value !== 'string' || isCalendarValid(v.value)) return [];
  return [
    issue({ code: 'value', diagnostics: `Invalid ${v.type}: not a calendar date/time`, expression: v.path }),
  ];
}
