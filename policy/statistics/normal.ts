import cdf from '@stdlib/stats-base-dists-normal-cdf';
import quantile from '@stdlib/stats-base-dists-normal-quantile';

/** The standard normal distribution, from @stdlib: the one place the statistics take it from. */

/** normalSf is P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return cdf(-z, 0, 1);
}

/** normalQuantile is the z with P(Z <= z) = p. */
export function normalQuantile(p: number): number {
  return quantile(p, 0, 1);
}
