import { normalQuantile } from './normal';
import type { SampleSummary } from './summary';

/**
 * Always-valid (time-uniform) confidence sequences for a difference of means, from the
 * normal-mixture boundary of Howard, Ramdas, McAuliffe & Sekhon (2021), "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2), §3.5 and eq. (14);
 * it is the mixture SPRT (mSPRT) of Johari, Koomen, Pekelis & Walsh (2022), "Always valid
 * inference: continuous monitoring of A/B tests", Oper. Res. 70(3).
 *
 * An estimate d̂ with variance V, mixed over true differences θ ~ N(0, τ²), has the likelihood
 * ratio (an e-value) Λ = √(V/(V + τ²)) · exp(τ²·d̂² / (2V(V + τ²))). By Ville's inequality
 * P(Λ ever ≥ 1/α) ≤ α under θ = 0, however often one looks, so the interval
 *   d̂ ± √( V(V + τ²)/τ² · (2·ln(1/α) + ln((V + τ²)/V)) )
 * covers the true difference at every look at once with probability 1 − α. The variances are
 * the samples' own (plug-in, as Johari et al. do), so the guarantee is asymptotic in the
 * samples per look; minSamples keeps early looks from resting on a poor variance.
 *
 * τ² is chosen so that the boundary is tightest when each group has minSamples samples
 * (Howard et al. §3.5): τ² = u*·V*, V* the estimate's variance at that size and u* the
 * minimiser of (1 + 1/u)(2·ln(1/α) + ln(1 + u)).
 *
 * Two designs:
 * - `control`: both groups grow over the same window; d̂ = x̄ − ȳ, V = s²x/nx + s²y/ny.
 * - `baseline`: the reference is a fixed window before the stage. Its mean is not a stream,
 *   so α is split: a confidence sequence for x̄ at α/2 and a fixed interval for ȳ at α/2
 *   (z(1 − α/4)·sy/√ny), and their radii add (a union bound: coverage ≥ 1 − α).
 */

export type SequentialDesign = 'control' | 'baseline';

export interface SequentialResult {
  /** estimate is x̄ − ȳ; lower and upper bound the always-valid interval at 1 − alpha. */
  estimate: number;
  lower: number;
  upper: number;
  /** pValue is always valid: the least alpha at which the interval leaves out 0. */
  pValue: number;
  /** eValue is the mixture likelihood ratio Λ of `control` designs (pValue = min(1, 1/Λ)), at most Number.MAX_VALUE. */
  eValue?: number;
}

/** mixtureRadius is the normal-mixture boundary's half-width for an estimate of variance v. */
export function mixtureRadius(v: number, tau2: number, alpha: number): number {
  if (v <= 0) return 0;
  return Math.sqrt(((v * (v + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((v + tau2) / v)));
}

/** mixtureEValue is Λ for an estimate d with variance v. */
export function mixtureEValue(d: number, v: number, tau2: number): number {
  if (v <= 0) return d === 0 ? 1 : Infinity;
  return Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * d * d) / (2 * v * (v + tau2)));
}

/** mixtureRatio is u*, the τ²/V that makes the boundary at level alpha tightest (see above). */
export function mixtureRatio(alpha: number): number {
  const known = ratios.get(alpha);
  if (known !== undefined) return known;
  const ratio = minimiseRatio(alpha);
  if (ratios.size < 64) ratios.set(alpha, ratio);
  return ratio;
}

const ratios = new Map<number, number>();

function minimiseRatio(alpha: number): number {
  const cost = (logU: number) => {
    const u = Math.exp(logU);
    return (1 + 1 / u) * (2 * Math.log(1 / alpha) + Math.log(1 + u));
  };
  let lo = Math.log(1e-3);
  let hi = Math.log(1e4);
  for (let i = 0; i < 100; i++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (cost(a) < cost(b)) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

/**
 * sequentialDifference is the always-valid interval for mean(x) − mean(y) at 1 − alpha;
 * undefined while a group has fewer than 2 samples (no variance). tunedFor is the per-group
 * sample size the mixture is tuned for (the criterion's minSamples, at least 2).
 */
export function sequentialDifference(x: SampleSummary, y: SampleSummary, alpha: number, design: SequentialDesign, tunedFor: number): SequentialResult | undefined {
  if (x.n < 2 || y.n < 2 || x.mean === null || y.mean === null || x.variance === null || y.variance === null) return undefined;
  const size = Math.max(2, tunedFor);
  const ratio = mixtureRatio(design === 'control' ? alpha : alpha / 2);
  const estimate = x.mean - y.mean;
  const vx = x.variance / x.n;
  const vy = y.variance / y.n;
  if (design === 'control') {
    const v = vx + vy;
    const tau2 = ratio * ((x.variance + y.variance) / size) || Number.MIN_VALUE;
    const radius = mixtureRadius(v, tau2, alpha);
    // Finite, so that it survives JSON: a likelihood ratio past the largest double says no more.
    const eValue = Math.min(Number.MAX_VALUE, mixtureEValue(estimate, v, tau2));
    return { estimate, lower: estimate - radius, upper: estimate + radius, pValue: Math.min(1, 1 / eValue), eValue };
  }
  const tau2 = ratio * (x.variance / size) || Number.MIN_VALUE;
  const radiusAt = (level: number) => mixtureRadius(vx, tau2, level / 2) - normalQuantile(level / 4) * Math.sqrt(vy);
  const radius = radiusAt(alpha);
  return { estimate, lower: estimate - radius, upper: estimate + radius, pValue: leastExcludingLevel(Math.abs(estimate), radiusAt) };
}

/** leastExcludingLevel is the least level in (0, 1] whose radius is below |d| (1 when none is): the interval's p-value. */
function leastExcludingLevel(distance: number, radiusAt: (level: number) => number): number {
  if (!(radiusAt(1) < distance)) return 1;
  let lo = Math.log(1e-300);
  let hi = 0;
  if (radiusAt(Math.exp(lo)) < distance) return 0;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (radiusAt(Math.exp(mid)) < distance) hi = mid;
    else lo = mid;
  }
  return Math.exp(hi);
}
