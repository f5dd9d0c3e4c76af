/**
 * Confidence-threshold calibration, pure and deterministic.
 *
 * A decision is automatic when its confidence is at or above the stage's threshold, so the
 * precision of a threshold t is the share of correct outcomes among the decisions with
 * confidence >= t. Candidate thresholds are the observed confidences: any threshold between two
 * neighbouring observed values selects the same decisions as the upper one, and the observed
 * value is the one the data supports.
 */

/** The z value of a two-sided 95% interval. */
const Z_95 = 1.959963984540054;

/** CalibrationSample is one decision whose production outcome is known. */
export interface CalibrationSample {
  confidence: number;
  correct: boolean;
}

export interface CalibrationRequest {
  /** targetPrecision is the least share of correct automatic decisions, in (0, 1]. */
  targetPrecision: number;
  /** minOutcomes is the least number of samples to calibrate from. */
  minOutcomes: number;
}

export interface Interval {
  low: number;
  high: number;
}

/** ThresholdPoint is the precision at one candidate threshold. */
export interface ThresholdPoint {
  threshold: number;
  /** samples have confidence >= threshold; correct of them were right. */
  samples: number;
  correct: number;
  precision: number;
}

export type Calibration =
  | {
      ok: true;
      threshold: number;
      precision: number;
      /** interval is the Wilson score 95% interval of precision. */
      interval: Interval;
      samples: number;
      correct: number;
      /** outcomes is every sample considered; coverage is the share of them at or above threshold. */
      outcomes: number;
      coverage: number;
    }
  | { ok: false; reason: 'insufficient-outcomes'; outcomes: number; minOutcomes: number }
  | { ok: false; reason: 'target-unreachable'; outcomes: number; best: ThresholdPoint };

/**
 * thresholdCurve returns the precision at each observed confidence, highest threshold first.
 * Samples with the same confidence enter together: a threshold cannot separate them.
 */
export function thresholdCurve(samples: readonly CalibrationSample[]): ThresholdPoint[] {
  const sorted = [...samples].sort((a, b) => b.confidence - a.confidence);
  const curve: ThresholdPoint[] = [];
  let count = 0;
  let correct = 0;
  sorted.forEach((sample, index) => {
    count += 1;
    if (sample.correct) correct += 1;
    if (sorted[index + 1]?.confidence === sample.confidence) return;
    curve.push({ threshold: sample.confidence, samples: count, correct, precision: correct / count });
  });
  return curve;
}

/**
 * calibrateThreshold picks the lowest threshold whose automatic decisions reach
 * targetPrecision, measured on samples. Precision is compared as a quotient (correct / samples),
 * so a target written as a decimal is met by the counts that equal it exactly.
 */
export function calibrateThreshold(samples: readonly CalibrationSample[], request: CalibrationRequest): Calibration {
  if (samples.length < request.minOutcomes || samples.length === 0) {
    return { ok: false, reason: 'insufficient-outcomes', outcomes: samples.length, minOutcomes: request.minOutcomes };
  }
  const curve = thresholdCurve(samples);
  let chosen: ThresholdPoint | undefined;
  for (const point of curve) if (point.precision >= request.targetPrecision) chosen = point;
  if (!chosen) {
    const best = curve.reduce((a, b) => (b.precision > a.precision ? b : a));
    return { ok: false, reason: 'target-unreachable', outcomes: samples.length, best };
  }
  return {
    ok: true,
    threshold: chosen.threshold,
    precision: chosen.precision,
    interval: wilsonInterval(chosen.correct, chosen.samples),
    samples: chosen.samples,
    correct: chosen.correct,
    outcomes: samples.length,
    coverage: chosen.samples / samples.length,
  };
}

/** wilsonInterval is the Wilson score interval of a proportion successes / trials. */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  if (trials <= 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  // At p = 0 and p = 1 the bound on that side is exactly 0 or 1; rounding would miss it.
  return { low: successes <= 0 ? 0 : centre - half, high: successes >= trials ? 1 : centre + half };
}
