import { parseDuration } from '../definitions/duration';
import { DEFAULT_EVALUATION_INTERVAL, type Plan, type Stage } from '../definitions/schema';
import { stageWaves } from '../definitions/sites';
import { metricDirection } from '../policy/criteria';
import { normalQuantile } from '../policy/statistics/normal';
import { seededRandom, type Random } from './random';
import type { ScenarioSample } from './samples';
import { simulate, SimulationEventType } from './simulate';
import { DAY_MS, DEFAULT_SIGN_OFF_AFTER_MS } from './types';

/**
 * The noise simulation behind `rollgate simulate --noise`: how often would each stage fail
 * although nothing changed? Each run gives every metric a stage judges a stationary series —
 * independent normal samples with a constant mean, one every metric cadence (else the stage's
 * evaluationInterval, or more often when a criterion's minSamples asks for more in its window) —
 * and runs the stage alone through the simulator (the stage machine and criteria evaluator of
 * the rollout) until it passes, fails or holds. A run in which the stage's
 * criteria fail is a false alarm; the share of such runs estimates the stage's false-alarm rate.
 *
 * The level of a series: a metric with a threshold criterion in the stage sits `headroom`
 * standard deviations on the passing side of the (first) threshold, with standard deviation
 * cv × |threshold| (cv when the threshold is 0): a process that meets its gate comfortably for one
 * sample, noisily. Any other metric sits at 100 with standard deviation 100 × cv; comparisons and
 * baselines are relative, so the level does not matter for them.
 */

export const DEFAULT_NOISE_RUNS = 100;
export const DEFAULT_NOISE_SEED = 1;
/** DEFAULT_NOISE_CV: the coefficient of variation of one sample, 10%. */
export const DEFAULT_NOISE_CV = 0.1;
/** DEFAULT_NOISE_HEADROOM: a threshold sits 2 standard deviations of one sample from the level. */
export const DEFAULT_NOISE_HEADROOM = 2;
const NEUTRAL_LEVEL = 100;
const CONFIDENCE = 0.95;

export interface NoiseOptions {
  runs?: number;
  seed?: number;
  cv?: number;
  headroom?: number;
  /** signOffAfterMs: as in SimulationOptions; it only moves a per-site stage's later waves. */
  signOffAfterMs?: number;
}

export interface NoiseSeries {
  metric: string;
  mean: number;
  sd: number;
  everyMs: number;
}

/** StageNoise is one stage's estimate: alarms of runs, with a 95% Wilson score interval. */
export interface StageNoise {
  id: string;
  runs: number;
  alarms: number;
  rate: number;
  lower: number;
  upper: number;
  /** inconclusive: runs held because the criteria were still inconclusive at maxDuration. */
  inconclusive: number;
  /** medianAlarmAfterMs: the median time from the stage's start to its false alarm, over the runs that alarmed. */
  medianAlarmAfterMs?: number;
  series: NoiseSeries[];
}

export interface NoiseResult {
  runs: number;
  seed: number;
  cv: number;
  headroom: number;
  stages: StageNoise[];
}

/** noiseSimulation estimates every stage's false-alarm rate; stages without criteria are left out. */
export function noiseSimulation(plan: Plan, options: NoiseOptions = {}): NoiseResult {
  const runs = options.runs ?? DEFAULT_NOISE_RUNS;
  const seed = options.seed ?? DEFAULT_NOISE_SEED;
  const cv = options.cv ?? DEFAULT_NOISE_CV;
  const headroom = options.headroom ?? DEFAULT_NOISE_HEADROOM;
  const signOffAfterMs = options.signOffAfterMs ?? DEFAULT_SIGN_OFF_AFTER_MS;
  const stages = plan.stages
    .filter((stage) => stage.criteria.length > 0)
    .map((stage, index) => stageNoise(plan, stage, { runs, seed: seed + index * 7919, cv, headroom, signOffAfterMs }));
  return { runs, seed, cv, headroom, stages };
}

function stageNoise(plan: Plan, stage: Stage, options: Required<NoiseOptions>): StageNoise {
  const series = noiseSeries(plan, stage, options.cv, options.headroom);
  const alone: Plan = { ...plan, prerequisites: [], stages: [{ ...stage, dependsOn: [], onFailure: 'hold', escalation: [] }] };
  const start = 0;
  const horizon = stageHorizonMs(stage, options.signOffAfterMs);
  const from = start - referenceSpanMs(stage);
  const random = seededRandom(options.seed);
  let alarms = 0;
  let inconclusive = 0;
  const alarmTimes: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const samples = noiseSamples(series, from, start + horizon, random);
    const result = simulate(alone, { samples }, { start, untilMs: start + horizon, signOffAfterMs: options.signOffAfterMs, maxReentries: 0 });
    const held = result.events.find((event) => event.type === SimulationEventType.stageHeld);
    if (held === undefined) continue;
    if (held.detail.startsWith('held: criteria failed')) {
      alarms += 1;
      alarmTimes.push(held.at - start);
    } else inconclusive += 1;
  }
  const interval = wilsonInterval(alarms, options.runs, CONFIDENCE);
  const median = medianOf(alarmTimes);
  return {
    id: stage.id,
    runs: options.runs,
    alarms,
    rate: options.runs === 0 ? 0 : alarms / options.runs,
    ...interval,
    inconclusive,
    ...(median !== undefined ? { medianAlarmAfterMs: median } : {}),
    series,
  };
}

/** noiseSeries is the stationary series of each metric the stage's criteria read. */
export function noiseSeries(plan: Plan, stage: Stage, cv: number, headroom: number): NoiseSeries[] {
  const fallbackMs = parseDuration(stage.evaluationInterval ?? DEFAULT_EVALUATION_INTERVAL) ?? 3_600_000;
  const out: NoiseSeries[] = [];
  for (const criterion of stage.criteria) {
    if (out.some((s) => s.metric === criterion.metric)) continue;
    const everyMs = parseDuration(plan.metrics?.[criterion.metric]?.cadence ?? '') ?? denseEnough(stage, criterion.metric, fallbackMs);
    const gate = stage.criteria.find((c) => c.metric === criterion.metric && c.threshold !== undefined);
    if (gate?.threshold === undefined) {
      out.push({ metric: criterion.metric, mean: NEUTRAL_LEVEL, sd: NEUTRAL_LEVEL * cv, everyMs });
      continue;
    }
    const direction = metricDirection(criterion.metric, plan.metrics) ?? 'higher-is-better';
    const op = gate.op ?? (direction === 'higher-is-better' ? '>=' : '<=');
    const sd = gate.threshold === 0 ? cv : Math.abs(gate.threshold) * cv;
    const passesAbove = op === '>' || op === '>=';
    out.push({ metric: criterion.metric, mean: gate.threshold + (passesAbove ? 1 : -1) * headroom * sd, sd, everyMs });
  }
  return out;
}

/** denseEnough: without a declared cadence, a sample every evaluationInterval, or more often when a window asks for more samples (minSamples). */
function denseEnough(stage: Stage, metric: string, fallbackMs: number): number {
  let everyMs = fallbackMs;
  for (const criterion of stage.criteria) {
    const windowMs = parseDuration(criterion.window);
    if (criterion.metric !== metric || windowMs === undefined) continue;
    everyMs = Math.min(everyMs, Math.floor(windowMs / criterion.minSamples));
  }
  return Math.max(1000, everyMs);
}

function noiseSamples(series: readonly NoiseSeries[], from: number, to: number, random: Random): ScenarioSample[] {
  const samples: ScenarioSample[] = [];
  for (const s of series) {
    for (let at = from; at < to; at += s.everyMs) samples.push({ metric: s.metric, value: random.normal(s.mean, s.sd), at });
  }
  return samples;
}

/** referenceSpanMs: how far before its start the stage's criteria read (baselines and comparisons against a baseline). */
function referenceSpanMs(stage: Stage): number {
  let span = 0;
  for (const criterion of stage.criteria) {
    if (criterion.baseline !== undefined) span = Math.max(span, parseDuration(criterion.baseline.window) ?? 0);
    if (criterion.compare?.against === 'baseline') span = Math.max(span, parseDuration(criterion.window) ?? 0);
  }
  return span;
}

/** stageHorizonMs: long enough for the stage to settle: maxDuration (else minDuration and a day) per wave, with the waits between waves. */
function stageHorizonMs(stage: Stage, signOffAfterMs: number): number {
  const attempt = parseDuration(stage.maxDuration ?? '') ?? (parseDuration(stage.minDuration) ?? 0) + DAY_MS;
  const horizon = Math.max(attempt, parseDuration(stage.steadyState?.horizon ?? '') ?? 0) + signOffAfterMs + DAY_MS;
  const waves = stageWaves(stage)?.length ?? 1;
  const between = (parseDuration(stage.forEach?.feedbackCycle ?? '') ?? 0) + signOffAfterMs;
  return waves * horizon + (waves - 1) * between;
}

/** wilsonInterval is the Wilson score interval of a binomial proportion. */
export function wilsonInterval(successes: number, trials: number, confidence: number): { lower: number; upper: number } {
  if (trials === 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { lower: successes === 0 ? 0 : Math.max(0, centre - half), upper: successes === trials ? 1 : Math.min(1, centre + half) };
}

function medianOf(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
