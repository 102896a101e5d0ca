// The bench's pure helpers (scripts/bench/stats.mjs): percentiles, rates and ratios, the line fit and
// its linearity verdict, targets, and the text tables. No timing here: the bench only reports.
import { describe, expect, it } from 'vitest';
import {
  formatComparison,
  formatNumber,
  formatTable,
  growthVerdict,
  linearFit,
  meets,
  percentiles,
  perSecond,
  ratio,
} from '../../../scripts/bench/stats.mjs';

describe('bench stats', () => {
  it('takes nearest-rank percentiles, ignoring values that are not finite', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    const p = percentiles([...xs, Number.NaN]);
    expect(p).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7]).p99).toBe(7);
    expect(percentiles([]).p50).toBeNaN();
  });

  it('computes rates and ratios, NaN when the divisor is not positive', () => {
    expect(perSecond(500, 2_000)).toBe(250);
    expect(perSecond(5, 0)).toBeNaN();
    expect(ratio(54, 1_722)).toBeCloseTo(0.03136, 4);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });

  it('fits a line and calls straight growth linear, quadratic growth not', () => {
    const straight: [number, number][] = [5, 50, 100, 200].map((x) => [x, 2 + 0.5 * x]);
    const fit = linearFit(straight);
    expect(fit.slope).toBeCloseTo(0.5, 9);
    expect(fit.intercept).toBeCloseTo(2, 9);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(growthVerdict(straight).linear).toBe(true);
    const quadratic: [number, number][] = [5, 50, 100, 200, 400].map((x) => [x, x * x]);
    expect(growthVerdict(quadratic).linear).toBe(false);
  });

  it('judges targets both ways and leaves figures without a target or value unjudged', () => {
    expect(meets(30.5, { op: '>=', value: 30 })).toBe(true);
    expect(meets(29, { op: '>=', value: 30 })).toBe(false);
    expect(meets(50, { op: '<=', value: 50 })).toBe(true);
    expect(meets(51, { op: '<=', value: 50 })).toBe(false);
    expect(meets(Number.NaN, { op: '<=', value: 50 })).toBeUndefined();
    expect(meets(10, undefined)).toBeUndefined();
  });

  it('formats numbers by size', () => {
    expect(formatNumber(1722.4)).toBe('1,722');
    expect(formatNumber(33.61)).toBe('33.6');
    expect(formatNumber(1.333)).toBe('1.33');
    expect(formatNumber(Number.NaN)).toBe('n/a');
    expect(formatNumber(undefined)).toBe('—');
  });

  it('prints an aligned table with the target and met? columns', () => {
    const text = formatTable([
      {
        part: '1 e2e',
        figure: 'navbridge / baseline',
        value: 3.3,
        unit: '%',
        target: { op: '>=', value: 30, unit: '%' },
      },
      { part: '2 intake', figure: 'p99', value: 12, unit: 'ms', target: { op: '<=', value: 50, unit: 'ms' } },
      { part: '4 backlog', figure: 'drain', value: 36, unit: 's' },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^part\s+figure\s+value\s+target\s+met\?$/);
    expect(lines[2]).toMatch(/^1 e2e\s+navbridge \/ baseline\s+3\.30 %\s+≥ 30\.0 %\s+NO$/);
    expect(lines[3]).toMatch(/12\.0 ms\s+≤ 50\.0 ms\s+yes$/);
    expect(lines[4]).toMatch(/36\.0 s$/);
    // Columns line up: every "value" cell starts where the header's does.
    const col = lines[0]!.indexOf('value');
    expect(lines.slice(2).every((l) => l[col - 1] === ' ' && l[col] !== ' ')).toBe(true);
  });

  it('puts before and after side by side with their ratio, matched by part and figure', () => {
    const before = [{ part: '1 e2e', figure: 'exchanges/s', value: 54, unit: '/s' }];
    const after = [
      { part: '1 e2e', figure: 'exchanges/s', value: 540, unit: '/s' },
      { part: '5 rss', figure: 'API RSS', value: 250, unit: 'MB', target: { op: '<=' as const, value: 300 } },
    ];
    const lines = formatComparison(before, after).split('\n');
    expect(lines[0]).toMatch(/^part\s+figure\s+before\s+after\s+after\/before\s+target\s+met\?$/);
    expect(lines[2]).toMatch(/54\.0 \/s\s+540 \/s\s+10\.00×/);
    expect(lines[3]).toMatch(/API RSS\s+—\s+250 MB\s+≤ 300\s+yes$/);
  });

  it('prints the comparison as a Markdown table, escaping pipes in cells', () => {
    const rows = [{ part: '1 e2e', figure: 'a | b', value: 2, unit: 'ms' }];
    const lines = formatComparison(rows, rows, { markdown: true }).split('\n');
    expect(lines[0]).toBe('| part | figure | before | after | after/before | target | met? |');
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
    expect(lines[2]).toBe('| 1 e2e | a \\| b | 2.00 ms | 2.00 ms | 1.00× |  |  |');
  });
});
