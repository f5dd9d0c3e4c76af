import type { Pool } from 'pg';
import type { Providers } from '../config/providers';
import { dataQualityCheck } from '../definitions/data-quality';
import { parseDuration } from '../definitions/duration';
import type { Criterion, Plan } from '../definitions/schema';
import { newestPulled, pulledTimes, storePulled, withPulledEvidence } from '../db/pulled-evidence';
import { newestSample, sampleIntervals, sampleLags } from '../db/samples';
import { outcomeLabels } from '../db/recommendations';
import type { QualityObservation } from '../policy/data-quality';
import type { PulledEvidenceSummary } from '../policy/pulled-evidence';
import { createPuller, type PulledEvidence, type Puller } from './providers';
import { decisionMetrics, type DecisionMetrics } from '../db/decision-metrics';
import { windowObservations } from '../db/derived-metrics';
import { getEvaluation, storeEvaluation } from '../db/evaluations';
import type { EvidenceScope } from '../db/evidence';
import { Failure } from '../policy/failures';
import { judgeStage, metricDirection, type CriterionObservation, type Observation, type StageEvaluation } from '../policy/criteria';
import { criterionReadings, observeCriteriaAsync, type EvidenceReader } from '../policy/evidence-reader';
import { isoWindow } from '../policy/criteria';
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
function storedEvidence(pool: Pool, input: ObserveStageInput, pulls: PullLog): EvidenceReader<Promise<Observation>> {
  return {
    observe: (metric, window) =>
      sourceOf(metric, input.catalog) !== undefined
        ? pulls.observe(metric, window)
        : isDecisionMetric(metric, input.catalog)
        ? decisionMetrics(pool, input.rolloutId, input.stageId, new Date(window.from), new Date(window.to)).then((m) => m[metric])
        : windowObservations(pool, input.rolloutId, metric, new Date(window.from), new Date(window.to), input.catalog, input.scope),
    group: (metric, window, selection, keepValues) =>
      sampleGroup(pool, input.rolloutId, metric, new Date(window.from), new Date(window.to), input.scope ?? {}, selection, keepValues),
  };
}

function sourceOf(metric: string, catalog: Plan['metrics']) {
  return catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric) ? catalog[metric]!.source : undefined;
}

/**
 * PullLog queries the pulled metrics of one evaluation and keeps each answer, by metric and
 * window, for the evidence record. An answer with an error is an observation without a value
 * that says why (inconclusive); without a sample count from the provider, an answer with a
 * value counts as one sample.
 */
class PullLog {
  readonly answers = new Map<string, PulledEvidence>();

  constructor(
    private readonly puller: Puller,
    private readonly input: ObserveStageInput,
  ) {}

  static key(metric: string, window: { from: number; to: number }): string {
    return `${metric} ${window.from} ${window.to}`;
  }

  async observe(metric: string, window: { from: number; to: number }): Promise<Observation> {
    const source = sourceOf(metric, this.input.catalog)!;
    const pulled = await this.puller.pull({ metric, source, from: window.from, to: window.to, scope: this.input.scope ?? {} });
    this.answers.set(PullLog.key(metric, window), pulled);
    if (pulled.error !== null) return { value: null, samples: 0, unavailable: pulled.error };
    return { value: pulled.value, samples: pulled.value === null ? 0 : (pulled.samples ?? 1) };
  }
}

function summary(part: 'window' | 'baseline', pulled: PulledEvidence): PulledEvidenceSummary {
  const { provider, query, parameters, value, samples, observedAt, answerSha256, error, pulledAt } = pulled;
  return { part, provider, query, parameters, value, samples, observedAt, answerSha256, error, pulledAt };
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
export function createEvaluationActivities(pool: Pool, providers: Providers = {}) {
  const puller = createPuller(providers);

  /**
   * observeStage reads each criterion's window (and baseline window): reported evidence from the
   * evidence store, pulled metrics from their providers, then what the data-quality criteria
   * judge. With an evaluationId, every pulled answer is stored as evidence under it.
   */
  async function observeStage(input: ObserveStageInput & { evaluationId?: string }): Promise<CriterionObservation[]> {
    const stageStartedAt = instant(input.stageStartedAt, 'stageStartedAt');
    const now = instant(input.now, 'now');
    if (now < stageStartedAt) invalid(`now (${input.now}) is before stageStartedAt (${input.stageStartedAt})`);
    const { readings, unreadable } = criterionReadings(input.criteria, stageStartedAt, now, input.previousWave ?? []);
    input.criteria.forEach((criterion, index) => {
      if (metricDirection(criterion.metric, input.catalog) === undefined) invalid(`criteria[${index}].metric: unknown metric ${criterion.metric}`);
      if (unreadable.includes(index)) invalid(`criteria[${index}]: a window does not parse as a duration`);
    });
    const quality = readings.filter((reading) => dataQualityCheck(input.criteria[reading.index]!) !== undefined);
    const values = readings.filter((reading) => !quality.includes(reading));
    const pulls = new PullLog(puller, input);
    const observed = await observeCriteriaAsync(values, storedEvidence(pool, input, pulls));
    for (const reading of values) {
      const entry = observed.find((seen) => seen.index === reading.index)!;
      const window = pulls.answers.get(PullLog.key(reading.metric, reading.window));
      const baseline = reading.baseline && pulls.answers.get(PullLog.key(reading.metric, reading.baseline));
      if (!window) continue;
      entry.pulled = [summary('window', window), ...(baseline ? [summary('baseline', baseline)] : [])];
      if (input.evaluationId === undefined) continue;
      await storeRow(input, input.evaluationId, reading.index, 'window', reading.metric, reading.window, window);
      if (baseline && reading.baseline) await storeRow(input, input.evaluationId, reading.index, 'baseline', reading.metric, reading.baseline, baseline);
    }
    const judged = await Promise.all(
      quality.map(async (reading) => ({
        index: reading.index,
        metric: reading.metric,
        window: isoWindow(reading.window),
        observation: { value: null, samples: 0 },
        quality: await qualityOf(input, input.criteria[reading.index]!, reading.window, pulls),
      })),
    );
    return [...observed, ...judged].sort((a, b) => a.index - b.index);
  }

  function storeRow(input: ObserveStageInput, evaluationId: string, index: number, part: 'window' | 'baseline', metric: string, window: { from: number; to: number }, pulled: PulledEvidence) {
    return storePulled(pool, {
      rolloutId: input.rolloutId,
      evaluationId,
      stageId: input.stageId,
      criterionIndex: index,
      part,
      metric,
      provider: pulled.provider,
      kind: pulled.kind,
      scope: input.scope ?? {},
      windowFrom: new Date(window.from).toISOString(),
      windowTo: new Date(window.to).toISOString(),
      query: pulled.query,
      parameters: pulled.parameters,
      value: pulled.value,
      samples: pulled.samples,
      observedAt: pulled.observedAt,
      answerSha256: pulled.answerSha256,
      error: pulled.error,
      attempts: pulled.attempts,
      pulledAt: pulled.pulledAt,
    });
  }

  /** qualityOf reads what a data-quality criterion judges: pulled metrics from their stored answers (and this evaluation's), reported ones from their samples. */
  async function qualityOf(input: ObserveStageInput, criterion: Criterion, window: { from: number; to: number }, pulls: PullLog): Promise<QualityObservation> {
    const scope = input.scope ?? {};
    const from = new Date(window.from);
    const to = new Date(window.to);
    const pulled = sourceOf(criterion.metric, input.catalog) !== undefined;
    const fresh = [...pulls.answers.entries()]
      .filter(([key, answer]) => key.startsWith(`${criterion.metric} `) && answer.value !== null)
      .map(([, answer]) => Date.parse(answer.observedAt ?? answer.pulledAt));
    switch (dataQualityCheck(criterion)) {
      case 'freshness': {
        const stored = pulled ? await newestPulled(pool, input.rolloutId, criterion.metric, from, new Date(window.to + 1), scope) : await newestSample(pool, input.rolloutId, criterion.metric, from, to, scope);
        const newest = Math.max(stored ? Date.parse(stored) : -Infinity, ...fresh);
        return { newestAt: Number.isFinite(newest) ? new Date(newest).toISOString() : null };
      }
      case 'completeness': {
        const declared = input.catalog?.[criterion.metric];
        const cadence = parseDuration(criterion.completeness?.cadence ?? declared?.cadence ?? '') ?? 0;
        if (cadence <= 0) return { times: [] };
        const times = pulled ? await pulledTimes(pool, input.rolloutId, criterion.metric, from, new Date(window.to + 1), scope) : await sampleIntervals(pool, input.rolloutId, criterion.metric, from, to, scope, cadence);
        return { times: [...times, ...fresh] };
      }
      case 'skew':
        return { lags: await sampleLags(pool, input.rolloutId, criterion.metric, from, to, scope) };
      case 'labelDrift':
        return { labels: await outcomeLabels(pool, input.rolloutId, from, to, scope, criterion.labelDrift!.trainedOn) };
      default:
        return {};
    }
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
    if (stored) return withPulled(stored);
    const observations = await observeStage({ ...input, evaluationId: input.evaluationId });
    const judged = judgeStage(input.criteria, observations, input.catalog, input.previousConsecutive ?? [], input.previousLooks ?? []);
    return withPulled(
      await recordEvaluation({
        evaluationId: input.evaluationId,
        rolloutId: input.rolloutId,
        stageId: input.stageId,
        planVersion: input.planVersion,
        evaluatedAt: new Date(instant(input.now, 'now')).toISOString(),
        ...judged,
      }),
    );
  }

  const withPulled = (evaluation: StageEvaluation) => withPulledEvidence(pool, evaluation);

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
