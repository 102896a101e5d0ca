// "May the partner still apply this attempt?" is asked in TypeScript (finishing an attempt) and in SQL
// (superseding older exchanges, withdrawing a referral). Both forms come from one pattern
// (src/store/attempt-results.ts); this suite holds them to the same answer, in real PostgreSQL, for
// every error class the delivery code records.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTEMPT_OUTCOME_UNKNOWN_SQL,
  type AttemptResult,
  outcomeUnknown,
} from '../../../src/store/attempt-results.js';
import { TEST_DATABASE_URL } from '../../support/db.js';

type Failed = Exclude<AttemptResult, { outcome: 'delivered' }>;
const OO = { resourceType: 'OperationOutcome' as const, issue: [] };
const failed = (errorClass: string, httpStatus?: number): Failed => ({
  outcome: 'retry',
  errorClass,
  error: OO,
  durationMs: 1,
  retryAt: new Date(0),
  ...(httpStatus !== undefined ? { httpStatus } : {}),
});

// [error class, HTTP status or none, may the partner still apply it?]
const CASES: [string, number | undefined, boolean][] = [
  ['timeout', undefined, true],
  ['network', undefined, true],
  ['internal', undefined, true],
  ['timeout-retries-exhausted', undefined, true],
  ['network-retries-exhausted', undefined, true],
  ['unreachable', undefined, false],
  ['unreachable-retries-exhausted', undefined, false],
  ['auth-network', undefined, false],
  ['auth-rejected', undefined, false],
  ['timeouts', undefined, false],
  ['http-503', 503, false],
  ['http-422', 422, false],
  ['intermediary', 502, false],
];

describe('outcome unknown: one rule in TypeScript and SQL', () => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  beforeAll(async () => client.connect());
  afterAll(async () => client.end());

  const inSql = async (outcome: string, httpStatus: number | undefined, errorClass: string | null) => {
    const { rows } = await client.query(
      `SELECT ${ATTEMPT_OUTCOME_UNKNOWN_SQL} AS unknown
         FROM (VALUES ($1::text, $2::int, $3::text)) AS a(outcome, http_status, error_class)`,
      [outcome, httpStatus ?? null, errorClass],
    );
    return rows[0].unknown as boolean;
  };

  it.each(CASES)('%s (HTTP %s): unknown = %s in both forms', async (errorClass, httpStatus, expected) => {
    expect(outcomeUnknown(failed(errorClass, httpStatus))).toBe(expected);
    expect(await inSql('retry', httpStatus, errorClass)).toBe(expected);
    expect(await inSql('dead', httpStatus, errorClass)).toBe(expected);
  });

  it('an attempt a crash left open (abandoned) is unknown; a delivered one never is', async () => {
    expect(await inSql('abandoned', undefined, null)).toBe(true);
    expect(await inSql('delivered', 200, null)).toBe(false);
    expect(await inSql('delivered', undefined, null)).toBe(false);
  });
});
