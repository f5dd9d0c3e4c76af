import { normalQuantile, normalSf } from './normal';

/**
 * The Mann–Whitney U test (Mann & Whitney 1947; Wilcoxon rank-sum) of two independent samples,
 * with the normal approximation as SciPy computes it by default for large samples
 * (`scipy.stats.mannwhitneyu(x, y, alternative=…, method='asymptotic', use_continuity=True)`):
 *
 * - ranks are mid-ranks, so ties share the mean of their ranks;
 * - U1 = R1 − n1(n1 + 1)/2 for x, U2 = n1·n2 − U1;
 * - σ = √(n1·n2/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))), the tie correction summing over groups
 *   of t equal values;
 * - z = (U − n1·n2/2 − 0.5)/σ with U = U1 for `greater` (x tends to be larger), U2 for `less`,
 *   max(U1, U2) for `two-sided`; p = P(Z > z), doubled for two-sided, at most 1.
 *
 * Missing data (null, NaN, ±Infinity) is left out before ranking, as Kayenta does.
 */

export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitneyResult {
  /** u is U1, the statistic of x (SciPy's `statistic`). */
  u: number;
  z: number;
  pValue: number;
  n1: number;
  n2: number;
}

/** finiteValues keeps the finite numbers of a sample. */
export function finiteValues(values: ReadonlyArray<number | null>): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value));
}

/** mannWhitney tests x against y; undefined when either sample is empty. */
export function mannWhitney(xs: ReadonlyArray<number | null>, ys: ReadonlyArray<number | null>, alternative: Alternative = 'two-sided'): MannWhitneyResult | undefined {
  const x = finiteValues(xs);
  const y = finiteValues(ys);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return undefined;
  const n = n1 + n2;
  const pooled = [...x.map((value) => ({ value, first: true })), ...y.map((value) => ({ value, first: false }))].sort((a, b) => a.value - b.value);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && pooled[j + 1]!.value === pooled[i]!.value) j++;
    const t = j - i + 1;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSumX += midRank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - (n > 1 ? tieTerm / (n * (n - 1)) : 0)));
  const numerator = u - mu - 0.5;
  const z = sigma > 0 ? numerator / sigma : numerator > 0 ? Infinity : -Infinity;
  const oneSided = normalSf(z);
  const pValue = Math.min(1, alternative === 'two-sided' ? 2 * oneSided : oneSided);
  return { u: u1, z, pValue, n1, n2 };
}

export interface ShiftEstimate {
  /** estimate is the Hodges–Lehmann shift: the median of all differences x_i − y_j. */
  estimate: number;
  /** lower and upper bound the distribution-free confidence interval for the shift at 1 − alpha. */
  lower: number;
  upper: number;
}

/**
 * hodgesLehmannShift estimates how far x lies above y (Hodges & Lehmann 1963) with the
 * distribution-free interval that inverts the Mann–Whitney test (Moses; Hollander & Wolfe,
 * "Nonparametric Statistical Methods", §4.3): with the n1·n2 differences sorted and
 * k = ⌊n1·n2/2 − z(1 − alpha/2)·σ⌋ (σ as in the test, tie-corrected), the interval runs from
 * the (k+1)-th smallest to the (k+1)-th largest difference. Undefined when either sample is empty.
 */
export function hodgesLehmannShift(xs: ReadonlyArray<number | null>, ys: ReadonlyArray<number | null>, alpha: number): ShiftEstimate | undefined {
  const x = finiteValues(xs);
  const y = finiteValues(ys);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return undefined;
  const differences = new Float64Array(n1 * n2);
  let at = 0;
  for (const a of x) for (const b of y) differences[at++] = a - b;
  differences.sort();
  const total = differences.length;
  const middle = total / 2;
  const estimate = total % 2 === 1 ? differences[Math.floor(middle)]! : (differences[middle - 1]! + differences[middle]!) / 2;
  const sigma = mannWhitneySigma(x, y);
  const k = Math.max(0, Math.min(Math.floor((total - 1) / 2), Math.floor(middle - normalQuantile(1 - alpha / 2) * sigma)));
  return { estimate, lower: differences[k]!, upper: differences[total - 1 - k]! };
}

/** mannWhitneySigma is the tie-corrected standard deviation of U under the null hypothesis. */
function mannWhitneySigma(x: readonly number[], y: readonly number[]): number {
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  const sorted = [...x, ...y].sort((a, b) => a - b);
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && sorted[j + 1] === sorted[i]) j++;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return Math.sqrt(((n1 * n2) / 12) * (n + 1 - (n > 1 ? tieTerm / (n * (n - 1)) : 0)));
}
