// The demo's closing report (scripts/demo/report.mjs): every exchange status navbridge can store has a
// meaning to print next to its count, and a withheld exchange is printed with navbridge's own fields.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countLines, STATUS_MEANING, withheldLines } from '../../../scripts/demo/report.mjs';
import { OPEN_STATUSES } from '../../../src/store/sequences.js';
import { REPO_ROOT } from '../../support/processes.js';

/** The literal members of `ExchangeStatus` in src/store/exchanges.ts (the type has no runtime list). */
function storedStatuses(): string[] {
  const source = readFileSync(path.join(REPO_ROOT, 'src', 'store', 'exchanges.ts'), 'utf8');
  const union = /export type ExchangeStatus =([^;]+);/.exec(source)?.[1] ?? '';
  return [...OPEN_STATUSES, ...[...union.matchAll(/'([\w-]+)'/g)].map((m) => m[1] as string)];
}

describe("the demo's report", () => {
  it('explains every exchange status navbridge stores', () => {
    const statuses = storedStatuses();
    expect(statuses).toContain('withheld-no-consent');
    expect(statuses.filter((s) => !(s in STATUS_MEANING))).toEqual([]);
  });

  it('prints each count with what it counts', () => {
    const x = (status: string) => ({ status });
    expect(countLines([x('delivered'), x('delivered'), x('no-route')])).toEqual([
      `2 delivered — ${STATUS_MEANING.delivered}`,
      `1 no-route — ${STATUS_MEANING['no-route']}`,
    ]);
  });

  it('prints a withheld exchange with its partner, record and stored reason, and nothing else', () => {
    const exchange = {
      id: 'x1',
      status: 'withheld-no-consent',
      partnerId: 'gp',
      recordType: 'assessment',
      sourceId: 'A1',
      version: 2,
      statusReason: 'no consent: assessment not agreed for gp (sharing.withGp)',
    };
    expect(withheldLines([exchange, { ...exchange, id: 'x2', status: 'delivered' }])).toEqual([
      'withheld-no-consent (by consent): partner gp, record assessment A1 v2, exchange x1\n      reason: no consent: assessment not agreed for gp (sharing.withGp)',
    ]);
  });
});
