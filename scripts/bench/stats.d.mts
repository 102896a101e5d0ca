// Types of stats.mjs (the bench's pure helpers), for its unit test.
export interface Percentiles {
  n: number;
  max: number;
  [p: `p${number}`]: number;
}
export interface Target {
  op: '<=' | '>=';
  value: number;
  unit?: string;
}
export interface Row {
  part: string;
  figure: string;
  value: number | string | boolean | undefined;
  unit?: string;
  target?: Target;
  digits?: number;
}
export interface Fit {
  slope: number;
  intercept: number;
  r2: number;
}
export function percentiles(values: readonly number[], ps?: readonly number[]): Percentiles;
export function perSecond(count: number, ms: number): number;
export function ratio(a: number, b: number): number;
export function linearFit(points: readonly (readonly [number, number])[]): Fit;
export function growthVerdict(
  points: readonly (readonly [number, number])[],
  tolerance?: number,
): Fit & { linear: boolean };
export function meets(value: unknown, target: Target | undefined): boolean | undefined;
export function formatNumber(v: unknown, digits?: number): string;
export function textTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  options?: { markdown?: boolean },
): string;
export function formatTable(rows: readonly Row[]): string;
export function formatComparison(
  before: readonly Row[],
  after: readonly Row[],
  options?: { markdown?: boolean },
): string;
