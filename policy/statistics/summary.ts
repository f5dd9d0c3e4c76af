/**
 * SampleSummary is what a comparison reads of one group: its sufficient statistics for a
 * difference of means (count, mean, variance) and, when the test ranks them, the values
 * themselves, at most MAX_COMPARED_SAMPLES (thinned evenly, see capSamples), so that an
 * evaluation stays small however much evidence there is.
 */
export interface SampleSummary {
  /** n counts every finite sample of the group, also those left out of `values`. */
  n: number;
  /** mean and variance (unbiased, n - 1) of all n samples; null when n is 0 (variance: n < 2). */
  mean: number | null;
  variance: number | null;
  values?: number[];
}

/** MAX_COMPARED_SAMPLES bounds the values a rank test reads per group. */
export const MAX_COMPARED_SAMPLES = 1000;

/** summarize computes a group's summary from its values; missing data (null, NaN, ±Infinity) is left out. */
export function summarize(values: ReadonlyArray<number | null>, keepValues: boolean): SampleSummary {
  const finite = values.filter((value): value is number => value !== null && Number.isFinite(value));
  const n = finite.length;
  // Welford's update: stable for large means with small spread.
  let mean = 0;
  let m2 = 0;
  finite.forEach((value, i) => {
    const delta = value - mean;
    mean += delta / (i + 1);
    m2 += delta * (value - mean);
  });
  return {
    n,
    mean: n > 0 ? mean : null,
    variance: n > 1 ? m2 / (n - 1) : null,
    ...(keepValues ? { values: capSamples(finite) } : {}),
  };
}

/** capSamples keeps at most MAX_COMPARED_SAMPLES values, evenly spaced through the given order (e.g. by time). */
export function capSamples(values: readonly number[], cap: number = MAX_COMPARED_SAMPLES): number[] {
  if (values.length <= cap) return [...values];
  const kept: number[] = [];
  for (let i = 0; i < cap; i++) kept.push(values[Math.floor((i * values.length) / cap)]!);
  return kept;
}
