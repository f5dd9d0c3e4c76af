import { BUILT_IN_METRICS, isBuiltInMetric } from '../definitions/built-in-metrics';
import { parseDuration } from '../definitions/duration';
import type { Criterion, Plan } from '../definitions/schema';
import { iso } from './clock';
import { dataQualityCheck } from '../definitions/data-quality';
import { judgeDataQuality, type QualityObservation } from './data-quality';
import type { PulledEvidenceSummary } from './pulled-evidence';
import { judgeComparisons, type ComparisonGroups, type ComparisonStatistics, type PreparedComparison } from './comparison';

/**
 * The exit-criterion evaluator. Pure and deterministic: the rollout workflow and
 * `rollgate simulate` run this same code, so a verdict never depends on where it was computed.
 *
 * Rules, for one criterion and one evaluation:
 * - No data, fewer samples than `minSamples`, or a value that is not a finite number:
 *   inconclusive. A baseline window is held to the same `minSamples`.
 * - `op` defaults from the metric's direction: `>=` when higher is better, `<=` when lower is.
 *   A value exactly at the threshold passes `>=` and `<=`.
 * - A baseline criterion allows the value to be at most `maxRegression` worse than the baseline
 *   value, "worse" in the metric's direction and relative to |baseline|:
 *   higher-is-better limit = b - |b|·r, lower-is-better limit = b + |b|·r. With a baseline of
 *   0 no regression at all is allowed. The limit is rounded to 12 significant digits so that a
 *   value exactly at it, as written in decimal, passes despite binary rounding.
 * - `consecutive: N`: a passing comparison adds one to the run of passes, a failing one resets
 *   it to 0 and fails; an inconclusive evaluation leaves the run as it was (a gap in the data
 *   is no evidence either way). The criterion passes once the run reaches N; before that it is
 *   inconclusive.
 */

export const Verdict = { pass: 'pass', fail: 'fail', inconclusive: 'inconclusive' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export type MetricDirection = 'higher-is-better' | 'lower-is-better';
export type ComparisonOperator = '<' | '<=' | '>' | '>=';

/** Observation is a metric's aggregate over one window: its value (null: no data) and how many samples it rests on. */
export interface Observation {
  value: number | null;
  samples: number;
  /** unavailable says why there is no value (a provider's error or timeout): the criterion is inconclusive with it as the reason. */
  unavailable?: string;
}

export interface CriterionResult {
  verdict: Verdict;
  /** reason says why, in words, e.g. `0.82 >= 0.8 over 40 samples`. */
  reason: string;
  value: number | null;
  /** op is the comparison used: the criterion's own, or the direction's default. */
  op: ComparisonOperator;
  /** threshold is the value compared with: the criterion's threshold or the baseline's limit; null when there was none. */
  threshold: number | null;
  samples: number;
  /** baseline is the baseline window's observation, for baseline criteria. */
  baseline?: Observation;
  /** consecutivePasses is the run of passing evaluations including this one; pass it back in next time. */
  consecutivePasses: number;
  /** comparison is the test's statistics, for comparison criteria (policy/comparison.ts). */
  comparison?: ComparisonStatistics;
}

/** defaultOperator is the comparison a criterion without `op` uses. */
function defaultOperator(direction: MetricDirection): ComparisonOperator {
  return direction === 'higher-is-better' ? '>=' : '<=';
}

/** metricDirection is the direction of a catalog or built-in metric (the catalog wins), or undefined for unknown ones. */
export function metricDirection(metric: string, catalog: Plan['metrics']): MetricDirection | undefined {
  const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric) ? catalog[metric] : undefined;
  if (declared) return declared.direction;
  return isBuiltInMetric(metric) ? BUILT_IN_METRICS[metric].direction : undefined;
}

/** parsePercent turns `5%` into 0.05; undefined for anything else. */
export function parsePercent(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  return match ? Number(match[1]) / 100 : undefined;
}

/** baselineLimit is the worst value a baseline criterion still accepts; see the rules above. */
export function baselineLimit(baselineValue: number, maxRegression: number, direction: MetricDirection): number {
  const slack = Math.abs(baselineValue) * maxRegression;
  const limit = direction === 'higher-is-better' ? baselineValue - slack : baselineValue + slack;
  return Number(limit.toPrecision(12));
}

/** evaluateCriterion judges one criterion by the rules above; previousConsecutivePasses is the last result's consecutivePasses (0 at first). */
export function evaluateCriterion(
  criterion: Criterion,
  observation: Observation,
  baseline: Observation | undefined,
  direction: MetricDirection,
  previousConsecutivePasses: number,
): CriterionResult {
  const op = criterion.op ?? defaultOperator(direction);
  const minSamples = criterion.minSamples ?? 1;
  const needed = criterion.consecutive ?? 1;
  const previous = count(previousConsecutivePasses);
  const samples = count(observation.samples);
  const value = observation.value;
  const base = {
    value,
    op,
    samples,
    ...(criterion.baseline !== undefined ? { baseline: baseline ?? { value: null, samples: 0 } } : {}),
  };
  const inconclusive = (reason: string, threshold: number | null): CriterionResult => ({
    verdict: Verdict.inconclusive,
    reason,
    ...base,
    threshold,
    consecutivePasses: previous,
  });

  let threshold: number | null;
  let note = '';
  if (criterion.baseline !== undefined) {
    const regression = parsePercent(criterion.baseline.maxRegression);
    if (regression === undefined) return inconclusive(`maxRegression ${criterion.baseline.maxRegression} is not a percentage`, null);
    const reference = sampleCheck(baseline ?? { value: null, samples: 0 }, minSamples, 'the baseline window');
    if (reference.problem !== undefined) return inconclusive(reference.problem, null);
    threshold = baselineLimit(reference.value, regression, direction);
    note = ` (baseline ${reference.value}, at most ${criterion.baseline.maxRegression} worse)`;
  } else if (criterion.threshold !== undefined && Number.isFinite(criterion.threshold)) {
    threshold = criterion.threshold;
  } else {
    return inconclusive('the criterion has no finite threshold and no baseline', null);
  }

  const current = sampleCheck(observation, minSamples, 'the window');
  if (current.problem !== undefined) return inconclusive(current.problem, threshold);

  const holds = compare(current.value, op, threshold);
  const shown = `${current.value} ${op} ${threshold}${note}`;
  if (!holds) {
    return { verdict: Verdict.fail, reason: `not ${shown} over ${samples} samples`, ...base, threshold, consecutivePasses: 0 };
  }
  const run = previous + 1;
  if (run < needed) {
    return {
      verdict: Verdict.inconclusive,
      reason: `${shown} over ${samples} samples; ${run} of ${needed} consecutive passing evaluations`,
      ...base,
      threshold,
      consecutivePasses: run,
    };
  }
  return { verdict: Verdict.pass, reason: `${shown} over ${samples} samples`, ...base, threshold, consecutivePasses: run };
}

/** stageVerdict combines criterion verdicts: any fail fails, all pass (or none at all) passes, else inconclusive. */
export function stageVerdict(verdicts: ReadonlyArray<Verdict | { verdict: Verdict }>): Verdict {
  const plain = verdicts.map((entry) => (typeof entry === 'string' ? entry : entry.verdict));
  if (plain.includes(Verdict.fail)) return Verdict.fail;
  return plain.every((verdict) => verdict === Verdict.pass) ? Verdict.pass : Verdict.inconclusive;
}

export interface TimeWindow {
  /** from and to are epoch milliseconds; a window holds the times t with from <= t < to. */
  from: number;
  to: number;
}

/**
 * criterionWindows are the windows one evaluation at `now` reads: the criterion's window,
 * [max(stageStartedAt, now - window), now), and for a baseline criterion the reference period
 * just before the stage, [stageStartedAt - baseline.window, stageStartedAt). Undefined when a
 * duration does not parse.
 */
export function criterionWindows(criterion: Criterion, stageStartedAt: number, now: number): { window: TimeWindow; baseline?: TimeWindow } | undefined {
  const length = parseDuration(criterion.window);
  if (length === undefined) return undefined;
  const window = { from: Math.min(now, Math.max(stageStartedAt, now - length)), to: now };
  if (criterion.baseline === undefined) return { window };
  const baselineLength = parseDuration(criterion.baseline.window);
  if (baselineLength === undefined) return undefined;
  return { window, baseline: { from: stageStartedAt - baselineLength, to: stageStartedAt } };
}

function sampleCheck(observation: Observation, minSamples: number, where: string): { value: number; problem?: undefined } | { problem: string } {
  const samples = count(observation.samples);
  if (observation.unavailable !== undefined) return { problem: `${where}: ${observation.unavailable}` };
  if (observation.value === null || samples === 0) return { problem: `no data in ${where}` };
  if (samples < minSamples) return { problem: `${samples} samples in ${where}, fewer than minSamples ${minSamples}` };
  if (!Number.isFinite(observation.value)) return { problem: `the value in ${where} is ${observation.value}, not a finite number` };
  return { value: observation.value };
}

/** count reads a sample count or a run length; anything but a positive safe integer is 0. */
function count(n: number): number {
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function compare(value: number, op: ComparisonOperator, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

// ── A stage evaluation: every criterion of a stage at one moment ────────────────────────

/** EvidenceWindow is a time window as ISO 8601 instants; it holds the times t with from <= t < to. */
export interface EvidenceWindow {
  from: string;
  to: string;
}

/** isoWindow writes a TimeWindow as an EvidenceWindow. */
export function isoWindow(window: TimeWindow): EvidenceWindow {
  return { from: iso(window.from), to: iso(window.to) };
}

/** CriterionObservation is what the evidence store saw for criterion `index` of a stage. */
export interface CriterionObservation {
  index: number;
  metric: string;
  window: EvidenceWindow;
  observation: Observation;
  /** baselineWindow and baseline are present for baseline criteria. */
  baselineWindow?: EvidenceWindow;
  baseline?: Observation;
  /** quality is what a data-quality criterion reads instead of the observation. */
  quality?: QualityObservation;
  /** pulled is the provider evidence behind a pulled metric's observations. */
  pulled?: PulledEvidenceSummary[];
  /** comparison is what a comparison criterion's two groups held. */
  comparison?: ComparisonGroups & { referenceWindow: EvidenceWindow; windowFull: boolean };
}

export interface CriterionEvaluation extends CriterionResult {
  index: number;
  metric: string;
  window: EvidenceWindow;
  baselineWindow?: EvidenceWindow;
  /** pulled is the provider evidence the verdict rested on, for a pulled metric. */
  pulled?: PulledEvidenceSummary[];
  /** referenceWindow is the window a comparison criterion's reference group was read over. */
  referenceWindow?: EvidenceWindow;
}

/** StageEvaluation is one evaluation of a stage's criteria, as stored and as the workflow receives it. */
export interface StageEvaluation {
  /** evaluationId is the caller's idempotency key; the first stored answer for it stands. */
  evaluationId: string;
  rolloutId: string;
  stageId: string;
  planVersion: number;
  /** evaluatedAt is the `now` the windows end at (ISO 8601). */
  evaluatedAt: string;
  verdict: Verdict;
  criteria: CriterionEvaluation[];
}

/**
 * judgeStage evaluates each criterion against its observation (matched by index; a criterion
 * without one is inconclusive) and combines the verdicts. previousConsecutive[i] is criterion
 * i's consecutivePasses from the previous evaluation of the stage (missing: 0). A metric the
 * catalog and the built-ins do not know is inconclusive rather than an exception, so workflow
 * code calling this never fails its task.
 */
export function judgeStage(
  criteria: readonly Criterion[],
  observations: readonly CriterionObservation[],
  catalog: Plan['metrics'],
  previousConsecutive: readonly number[] = [],
  previousLooks: readonly number[] = [],
): { verdict: Verdict; criteria: CriterionEvaluation[] } {
  const compared = judgeStageComparisons(criteria, observations, catalog, previousConsecutive, previousLooks);
  const results = criteria.map((criterion, index): CriterionEvaluation => {
    const comparison = compared.get(index);
    if (comparison !== undefined) return comparison;
    const seen = observations.find((entry) => entry.index === index);
    const previous = previousConsecutive[index] ?? 0;
    const where = seen
      ? { window: seen.window, ...(seen.baselineWindow ? { baselineWindow: seen.baselineWindow } : {}) }
      : { window: { from: '', to: '' } };
    const direction = metricDirection(criterion.metric, catalog);
    if (!seen || direction === undefined) {
      const op = criterion.op ?? defaultOperator(direction ?? 'higher-is-better');
      return {
        index,
        metric: criterion.metric,
        ...where,
        verdict: Verdict.inconclusive,
        reason: seen ? `unknown metric ${criterion.metric}` : 'no observation for this criterion',
        value: null,
        op,
        threshold: criterion.threshold ?? null,
        samples: 0,
        consecutivePasses: count(previous),
      };
    }
    const pulled = seen.pulled ? { pulled: seen.pulled } : {};
    if (dataQualityCheck(criterion) !== undefined) {
      const window = { from: Date.parse(seen.window.from), to: Date.parse(seen.window.to) };
      return { index, metric: criterion.metric, ...where, ...judgeDataQuality(criterion, seen.quality ?? {}, window, count(previous), catalog), ...pulled };
    }
    const result = evaluateCriterion(criterion, seen.observation, seen.baseline, direction, previous);
    return { index, metric: criterion.metric, ...where, ...result, ...pulled };
  });
  return { verdict: stageVerdict(results), criteria: results };
}

/**
 * judgeStageComparisons judges a stage's comparison criteria as one Holm family (see
 * policy/comparison.ts), by criterion index. A comparison's look is its previous look plus one
 * (previousLooks[i], from the stage's previous evaluation; missing: 0). `consecutive` applies
 * as for thresholds. A metric of unknown direction is left to judgeStage's own answer.
 */
function judgeStageComparisons(
  criteria: readonly Criterion[],
  observations: readonly CriterionObservation[],
  catalog: Plan['metrics'],
  previousConsecutive: readonly number[],
  previousLooks: readonly number[],
): Map<number, CriterionEvaluation> {
  const prepared: Array<PreparedComparison & { index: number; seen: CriterionObservation }> = [];
  criteria.forEach((criterion, index) => {
    const seen = observations.find((entry) => entry.index === index);
    const direction = metricDirection(criterion.metric, catalog);
    if (criterion.compare === undefined || seen === undefined || direction === undefined) return;
    prepared.push({
      index,
      seen,
      criterion: criterion as Criterion & { compare: NonNullable<Criterion['compare']> },
      groups: seen.comparison,
      direction,
      look: count(previousLooks[index] ?? 0) + 1,
      windowFull: seen.comparison?.windowFull ?? false,
    });
  });
  const judged = judgeComparisons(prepared);
  const results = new Map<number, CriterionEvaluation>();
  prepared.forEach((entry, i) => {
    const { verdict, reason, statistics } = judged[i]!;
    const previous = count(previousConsecutive[entry.index] ?? 0);
    const needed = entry.criterion.consecutive ?? 1;
    const run = verdict === Verdict.pass ? previous + 1 : verdict === Verdict.fail ? 0 : previous;
    const final: Verdict = verdict === Verdict.pass && run < needed ? Verdict.inconclusive : verdict;
    results.set(entry.index, {
      index: entry.index,
      metric: entry.criterion.metric,
      window: entry.seen.window,
      ...(entry.seen.comparison ? { referenceWindow: entry.seen.comparison.referenceWindow } : {}),
      verdict: final,
      reason: final !== verdict ? `${reason}; ${run} of ${needed} consecutive passing evaluations` : reason,
      value: statistics.estimate,
      op: defaultOperator(entry.direction),
      threshold: null,
      samples: statistics.samples.treatment,
      consecutivePasses: run,
      comparison: statistics,
    });
  });
  return results;
}
