// Pure helpers of `npm run bench` (no I/O): percentiles, rates, a least-squares line, the ratio and
// target columns, and the text table. Unit-tested in test/unit/bench/stats.test.ts.

/** Nearest-rank percentiles of a list of numbers (ms); NaN for an empty list. */
export function percentiles(values, ps = [50, 95, 99]) {
  const s = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const out = { n: s.length };
  for (const p of ps) {
    out[`p${p}`] = s.length
      ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
      : Number.NaN;
  }
  out.max = s.length ? s[s.length - 1] : Number.NaN;
  return out;
}

/** Items per second over a span of milliseconds. */
export const perSecond = (count, ms) => (ms > 0 ? (count * 1000) / ms : Number.NaN);

/** a / b, NaN when b is not a positive number. */
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);

/** Least-squares line through (x, y): slope, intercept and r² (1 = a straight line). */
export function linearFit(points) {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : Number.NaN;
  const r2 = sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { slope, intercept: my - slope * mx, r2 };
}

/**
 * Is the growth linear? The cost per added item at the largest size against the fitted slope: within
 * `tolerance` (default 50 %) of it and r² ≥ 0.95 reads as linear, a rising per-item cost as worse.
 */
export function growthVerdict(points, tolerance = 0.5) {
  const fit = linearFit(points);
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const [x0, y0] = sorted[0] ?? [0, 0];
  const [x1, y1] = sorted[sorted.length - 1] ?? [0, 0];
  const lastSlope = x1 > x0 ? (y1 - y0) / (x1 - x0) : Number.NaN;
  const linear = fit.r2 >= 0.95 && Math.abs(lastSlope - fit.slope) <= tolerance * Math.abs(fit.slope);
  return { ...fit, linear };
}

/** A target is a comparison: { op: '<=' | '>=', value }; met is true, false or undefined (no target/no figure). */
export function meets(value, target) {
  if (!target || !Number.isFinite(value)) return undefined;
  return target.op === '<=' ? value <= target.value : value >= target.value;
}

export function formatNumber(v, digits) {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (!Number.isFinite(v)) return 'n/a';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
}

const targetText = (t) =>
  t ? `${t.op === '<=' ? '≤' : '≥'} ${formatNumber(t.value)}${t.unit ? ` ${t.unit}` : ''}` : '';

/** Aligned text columns: a header, a rule, then the rows (cells are strings); or a Markdown table. */
export function textTable(head, rows, { markdown = false } = {}) {
  if (markdown) {
    const md = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
    return [md(head), md(head.map(() => '---')), ...rows.map(md)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const valueText = (r) =>
  r ? `${formatNumber(r.value, r.digits)}${r.unit && Number.isFinite(r.value) ? ` ${r.unit}` : ''}` : '—';
const metText = (r) => {
  const met = meets(r.value, r.target);
  return met === undefined ? '' : met ? 'yes' : 'NO';
};

/** Rows { part, figure, value, unit?, target?, digits? } as a table: part, figure, value, target, met?. */
export function formatTable(rows) {
  return textTable(
    ['part', 'figure', 'value', 'target', 'met?'],
    rows.map((r) => [r.part, r.figure, valueText(r), targetText(r.target), metText(r)]),
  );
}

/** Two result sets side by side, matched by part and figure: before, after, after/before, target, met?. */
export function formatComparison(before, after, options = {}) {
  const key = (r) => `${r.part}\u0000${r.figure}`;
  const old = new Map(before.map((r) => [key(r), r]));
  const rows = after.map((r) => {
    const b = old.get(key(r));
    const change =
      b && Number.isFinite(b.value) && Number.isFinite(r.value) && b.value !== 0
        ? `${formatNumber(r.value / b.value, 2)}×`
        : '';
    return [r.part, r.figure, valueText(b), valueText(r), change, targetText(r.target), metText(r)];
  });
  return textTable(['part', 'figure', 'before', 'after', 'after/before', 'target', 'met?'], rows, options);
}
