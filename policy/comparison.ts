import { parseDuration } from '../definitions/duration';
import type { Compare, Criterion } from '../definitions/schema';
import { holmAdjust } from './statistics/holm';
import { hodgesLehmannShift, mannWhitney } from './statistics/mann-whitney';
import { sequentialDifference } from './statistics/sequential';
import type { SampleSummary } from './statistics/summary';

/**
 * Comparison criteria (`compare`): a metric judged statistically against a reference group,
 * the same scope before the stage (`against: baseline`) or a control group over the same
 * window (`against: control`). Pure; the workflow's evaluation and `rollgate simulate` share it.
 *
 * The difference is d = treatment − reference in the metric's unit; "better" follows the
 * metric's direction. The margin is minEffect × |reference mean| (median for mann-whitney).
 * With [lo, hi] the test's interval for the difference on the better side (d for
 * higher-is-better, −d for lower-is-better) and p its p-value for "no difference":
 *
 * - must-not-degrade: pass when lo ≥ −margin (any degradation is at most minEffect: no
 *   material change); otherwise fail when the change is significantly for the worse (p, Holm
 *   adjusted, below alpha, with the estimate on the worse side); otherwise inconclusive.
 * - must-improve: pass when the change is significantly for the better and the estimate is at
 *   least the margin; fail when hi < margin (any improvement is smaller than minEffect);
 *   otherwise inconclusive.
 * - Fewer than minSamples in either group, or no variance to test with: inconclusive.
 * - mann-whitney looks once its window is full, i.e. once the stage has run for `window`;
 *   before that it is inconclusive. Every look after that is a fixed-sample test of its own.
 *
 * Several comparison criteria in one stage form one family: their p-values are adjusted with
 * Holm–Bonferroni before any verdict rests on a significant difference, so the chance of any
 * false alarm in the stage stays at alpha. Passing needs no correction: a stage passes only
 * when every criterion passes (an intersection–union test).
 */

export type ComparisonVerdict = 'pass' | 'fail' | 'inconclusive';

/** ComparisonGroups is what an evaluation read for a comparison criterion: both groups' summaries. */
export interface ComparisonGroups {
  treatment: SampleSummary;
  reference: SampleSummary;
}

/** ComparisonStatistics is the test's answer, as stored with the evaluation and shown in the status. */
export interface ComparisonStatistics {
  test: Compare['test'];
  against: Compare['against'];
  direction: Compare['direction'];
  alpha: number;
  /** estimate is treatment − reference (means; the Hodges–Lehmann shift for mann-whitney); null without a test. */
  estimate: number | null;
  /** lower and upper bound the interval for the difference at 1 − alpha; for sequential it is always valid. */
  lower: number | null;
  upper: number | null;
  /** margin is minEffect in the metric's unit. */
  margin: number | null;
  pValue: number | null;
  /** adjustedPValue is the Holm-adjusted p-value over the stage's comparison criteria. */
  adjustedPValue: number | null;
  /** eValue is the mixture likelihood ratio of a sequential test against a control. */
  eValue?: number;
  /** family is how many comparison criteria of the stage the Holm correction spans. */
  family: number;
  samples: { treatment: number; reference: number };
  /** look counts this criterion's evaluations in the stage attempt, this one included. */
  look: number;
}

export interface ComparisonResult {
  verdict: ComparisonVerdict;
  reason: string;
  statistics: ComparisonStatistics;
}

export type Direction = 'higher-is-better' | 'lower-is-better';

interface Tested {
  estimate: number;
  lower: number;
  upper: number;
  pValue: number;
  eValue?: number;
  referenceCenter: number;
}

/** testComparison runs the criterion's test on the groups; undefined when the data cannot be tested (see the rules). */
function testComparison(compare: Compare, groups: ComparisonGroups, minSamples: number): Tested | undefined {
  const { treatment, reference } = groups;
  if (compare.test === 'mann-whitney') {
    const x = treatment.values ?? [];
    const y = reference.values ?? [];
    const test = mannWhitney(x, y, 'two-sided');
    const shift = hodgesLehmannShift(x, y, compare.alpha);
    if (test === undefined || shift === undefined) return undefined;
    return { ...shift, pValue: test.pValue, referenceCenter: median(y) };
  }
  const result = sequentialDifference(treatment, reference, compare.alpha, compare.against === 'control' ? 'control' : 'baseline', minSamples);
  if (result === undefined) return undefined;
  return { ...result, referenceCenter: reference.mean ?? 0 };
}

/** share reads minEffect (`2%`) as a share. */
function share(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  return match ? Number(match[1]) / 100 : 0;
}

export interface PreparedComparison {
  criterion: Criterion & { compare: Compare };
  groups: ComparisonGroups | undefined;
  direction: Direction;
  look: number;
  /** windowFull is false while a mann-whitney criterion's window is not yet behind the stage. */
  windowFull: boolean;
}

/** windowFull tells whether the stage, started at stageStartedAt, has run for the criterion's whole window by `now`. */
export function windowFull(criterion: Criterion, stageStartedAt: number, now: number): boolean {
  const length = parseDuration(criterion.window);
  return length !== undefined && now - stageStartedAt >= length;
}

/** judgeComparisons judges a stage's comparison criteria together: each tested alone, then Holm across them, then the verdicts. */
export function judgeComparisons(prepared: readonly PreparedComparison[]): ComparisonResult[] {
  const tested = prepared.map((entry) => {
    const { criterion, groups } = entry;
    const minSamples = criterion.minSamples ?? 1;
    if (groups === undefined) return { problem: 'no evidence was read for the comparison' };
    const { treatment, reference } = groups;
    if (reference.n === 0 && treatment.n > 0 && criterion.compare.control !== undefined && 'wave' in criterion.compare.control) {
      return { problem: "no data from the previous wave's sites over the window (the first wave has no previous wave to compare with)" };
    }
    if (treatment.n === 0 || reference.n === 0) return { problem: `no data in the ${treatment.n === 0 ? 'stage' : criterion.compare.against} group` };
    if (treatment.n < minSamples || reference.n < minSamples) {
      return { problem: `${treatment.n} and ${reference.n} samples, fewer than minSamples ${minSamples} in a group` };
    }
    if (criterion.compare.test === 'mann-whitney' && !entry.windowFull) return { problem: `mann-whitney looks once the ${criterion.window} window is full` };
    const result = testComparison(criterion.compare, groups, minSamples);
    return result === undefined ? { problem: 'too few samples to estimate a variance' } : { result };
  });
  const adjusted = holmAdjust(tested.map((entry) => ('result' in entry && entry.result ? entry.result.pValue : null)));
  const family = adjusted.filter((p) => p !== null).length;
  return prepared.map((entry, i): ComparisonResult => {
    const { criterion, groups, direction, look } = entry;
    const compare = criterion.compare;
    const outcome = tested[i]!;
    const statistics: ComparisonStatistics = {
      test: compare.test,
      against: compare.against,
      direction: compare.direction,
      alpha: compare.alpha,
      estimate: null,
      lower: null,
      upper: null,
      margin: null,
      pValue: null,
      adjustedPValue: null,
      family,
      samples: { treatment: groups?.treatment.n ?? 0, reference: groups?.reference.n ?? 0 },
      look,
    };
    if (!('result' in outcome) || outcome.result === undefined) {
      return { verdict: 'inconclusive', reason: outcome.problem ?? 'not tested', statistics };
    }
    const result = outcome.result;
    const margin = share(compare.minEffect) * Math.abs(result.referenceCenter);
    const p = adjusted[i] ?? 1;
    Object.assign(statistics, {
      estimate: result.estimate,
      lower: result.lower,
      upper: result.upper,
      margin,
      pValue: result.pValue,
      adjustedPValue: p,
      ...(result.eValue !== undefined ? { eValue: result.eValue } : {}),
    });
    const sign = direction === 'higher-is-better' ? 1 : -1;
    const betterLower = Math.min(sign * result.lower, sign * result.upper);
    const betterUpper = Math.max(sign * result.lower, sign * result.upper);
    const betterEstimate = sign * result.estimate;
    const significant = p < compare.alpha;
    const shown = `difference ${round(result.estimate)} in [${round(result.lower)}, ${round(result.upper)}], p ${round(result.pValue)}${family > 1 ? ` (Holm ${round(p)} over ${family})` : ''}, ${statistics.samples.treatment} vs ${statistics.samples.reference} samples, look ${look}`;
    const against = compare.against === 'baseline' ? 'the baseline' : 'the control';
    if (compare.direction === 'must-not-degrade') {
      if (betterLower >= -margin) return { verdict: 'pass', reason: `no material change against ${against} (margin ${round(margin)}): ${shown}`, statistics };
      if (significant && betterEstimate < 0) return { verdict: 'fail', reason: `significantly worse than ${against}: ${shown}`, statistics };
      return { verdict: 'inconclusive', reason: `not yet distinguishable from ${against} within the margin ${round(margin)}: ${shown}`, statistics };
    }
    if (significant && betterEstimate > 0 && betterEstimate >= margin) return { verdict: 'pass', reason: `significantly better than ${against}: ${shown}`, statistics };
    if (betterUpper < margin) return { verdict: 'fail', reason: `no improvement of at least ${round(margin)} over ${against}: ${shown}`, statistics };
    return { verdict: 'inconclusive', reason: `no significant improvement over ${against} yet: ${shown}`, statistics };
  });
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** round writes a statistic to 4 significant digits for a reason text. */
function round(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}
