import type { Pool } from 'pg';
import type { Criterion, Plan } from '../definitions/schema';
import { decisionMetrics, type DecisionMetrics } from '../db/decision-metrics';
import { windowObservations } from '../db/derived-metrics';
import { getEvaluation, storeEvaluation } from '../db/evaluations';
import type { EvidenceScope } from '../db/evidence';
import { Failure } from '../policy/failures';
import { judgeStage, metricDirection, type CriterionObservation, type Observation, type StageEvaluation } from '../policy/criteria';
import { criterionReadings, observeCriteriaAsync, type EvidenceReader } from '../policy/evidence-reader';
import { sampleGroup } from '../db/sample-groups';
import { failure } from './failure';

export { latestEvaluations } from '../db/evaluations';

/** The decision built-ins come from the stage's own decisions, unless the catalog declares the name as a reported metric. */
const DECISION_METRICS: ReadonlySet<string> = new Set<keyof DecisionMetrics>(['deferral-rate', 'human-override-rate', 'auto-decision-accuracy', 'decision-timeout-count']);
function isDecisionMetric(metric: string, catalog: Plan['metrics']): metric is keyof DecisionMetrics {
  return DECISION_METRICS.has(metric) && !(catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric));
}

/**
 * storedEvidence is the PostgreSQL EvidenceReader of one stage: the decision built-ins from the
 * stage's own decisions, every other metric from its samples (or derived from recommendations
 * and feedback), kept to input.scope.
 */
function storedEvidence(pool: Pool, input: ObserveStageInput): EvidenceReader<Promise<Observation>> {
  return {
    observe: (metric, window) =>
      isDecisionMetric(metric, input.catalog)
        ? decisionMetrics(pool, input.rolloutId, input.stageId, new Date(window.from), new Date(window.to)).then((m) => m[metric])
        : windowObservations(pool, input.rolloutId, metric, new Date(window.from), new Date(window.to), input.catalog, input.scope),
    group: (metric, window, selection, keepValues) =>
      sampleGroup(pool, input.rolloutId, metric, new Date(window.from), new Date(window.to), input.scope ?? {}, selection, keepValues),
  };
}

/** The ApplicationFailure type of an evaluation request that can never succeed; not retried. */
export const INVALID_EVALUATION_INPUT = Failure.invalidEvaluationInput;

/** ObserveStageInput says which stage's evidence to read, and when. Times are ISO 8601. */
export interface ObserveStageInput {
  rolloutId: string;
  stageId: string;
  /** criteria are the stage's criteria from the pinned plan version, in plan order. */
  criteria: Criterion[];
  /** catalog is the plan's `metrics`. */
  catalog?: Plan['metrics'];
  /** stageStartedAt is when the stage started running: windows never reach before it, baselines end at it. */
  stageStartedAt: string;
  /** now is the evaluation time, from the workflow's clock: every window ends at it. */
  now: string;
  /** scope, when given, keeps only evidence observed there (e.g. one site of a forEach stage). */
  scope?: EvidenceScope;
  /** previousWave lists the sites of the wave before this site's, for comparisons with `control: { wave: previous }`. */
  previousWave?: string[];
}

export interface EvaluateStageInput extends ObserveStageInput {
  /** evaluationId is the idempotency key: a retry returns the evaluation first stored under it. */
  evaluationId: string;
  planVersion: number;
  /** previousConsecutive[i] is criterion i's consecutivePasses from the stage's previous evaluation; default 0. */
  previousConsecutive?: number[];
  /** previousLooks[i] is criterion i's look number in the stage's previous evaluation (comparison criteria); default 0. */
  previousLooks?: number[];
}

/**
 * createEvaluationActivities binds the criteria activities to a pool. The caller (the workflow)
 * sets timeouts and retries; input that can never work fails with INVALID_EVALUATION_INPUT,
 * non-retryable.
 */
export function createEvaluationActivities(pool: Pool) {
  /** observeStage reads each criterion's window (and baseline window) from the evidence store. Read-only. */
  async function observeStage(input: ObserveStageInput): Promise<CriterionObservation[]> {
    const stageStartedAt = instant(input.stageStartedAt, 'stageStartedAt');
    const now = instant(input.now, 'now');
    if (now < stageStartedAt) invalid(`now (${input.now}) is before stageStartedAt (${input.stageStartedAt})`);
    const { readings, unreadable } = criterionReadings(input.criteria, stageStartedAt, now, input.previousWave ?? []);
    input.criteria.forEach((criterion, index) => {
      if (metricDirection(criterion.metric, input.catalog) === undefined) invalid(`criteria[${index}].metric: unknown metric ${criterion.metric}`);
      if (unreadable.includes(index)) invalid(`criteria[${index}]: a window does not parse as a duration`);
    });
    return observeCriteriaAsync(readings, storedEvidence(pool, input));
  }

  /** recordEvaluation stores every criterion result of an evaluation; idempotent on evaluationId, returning the first stored answer. */
  async function recordEvaluation(evaluation: StageEvaluation): Promise<StageEvaluation> {
    if (!evaluation.evaluationId) invalid('evaluationId is empty');
    instant(evaluation.evaluatedAt, 'evaluatedAt');
    return storeEvaluation(pool, evaluation);
  }

  /**
   * evaluateStage reads the stage's evidence, judges every criterion with the pure evaluator
   * (policy/criteria.ts), stores the results and returns them. A retry with the same
   * evaluationId returns the stored evaluation without reading the evidence again, so late
   * evidence never changes an answer already given.
   */
  async function evaluateStage(input: EvaluateStageInput): Promise<StageEvaluation> {
    if (!input.evaluationId) invalid('evaluationId is empty');
    const stored = await getEvaluation(pool, input.rolloutId, input.evaluationId);
    if (stored) return stored;
    const observations = await observeStage(input);
    const judged = judgeStage(input.criteria, observations, input.catalog, input.previousConsecutive ?? [], input.previousLooks ?? []);
    return recordEvaluation({
      evaluationId: input.evaluationId,
      rolloutId: input.rolloutId,
      stageId: input.stageId,
      planVersion: input.planVersion,
      evaluatedAt: new Date(instant(input.now, 'now')).toISOString(),
      ...judged,
    });
  }

  return { observeStage, recordEvaluation, evaluateStage };
}

export type EvaluationActivities = ReturnType<typeof createEvaluationActivities>;

function instant(text: string, field: string): number {
  const ms = typeof text === 'string' ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : invalid(`${field} is not an ISO 8601 time: ${String(text)}`);
}

function invalid(message: string): never {
  throw failure(INVALID_EVALUATION_INPUT, message);
}
