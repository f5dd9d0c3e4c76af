import { parseDuration } from '../definitions/duration';
import type { Criterion } from '../definitions/schema';
import { windowFull } from './comparison';
import { criterionWindows, isoWindow, type CriterionObservation, type Observation, type TimeWindow } from './criteria';
import type { SampleSummary } from './statistics/summary';

/**
 * Reading a stage's evidence for one evaluation, in one place for every reader: which windows
 * the criteria read (criterionReadings), and how what a reader saw becomes the observations
 * judgeStage takes (observeCriteria). The readers differ only in where the samples are: the
 * PostgreSQL one (activities/evaluation.ts) and the simulator's in memory (simulator/samples.ts).
 */

/**
 * EvidenceReader aggregates one metric over a window [from, to): the mean of its samples and how
 * many there are, `{ value: null, samples: 0 }` without any. `R` is `Observation` for a reader in
 * memory, `Promise<Observation>` for one that asks a database.
 */
export interface EvidenceReader<R extends Observation | Promise<Observation> = Observation> {
  observe(metric: string, window: TimeWindow): R;
  /** group summarises one group of a comparison criterion (see GroupSelection); a reader without it leaves comparisons unread. */
  group?(metric: string, window: TimeWindow, selection: GroupSelection, keepValues: boolean): R extends Promise<Observation> ? Promise<SampleSummary> : SampleSummary;
}

/** GroupScope is an evidence scope as a comparison names it, e.g. { line: 'line-2' }. */
export type GroupScope = Partial<Record<'site' | 'line' | 'shift' | 'lane' | 'carrier', string>>;

/**
 * GroupSelection says whose samples a comparison group holds: the stage's own (as its other
 * criteria read them), less any evidence in the control's scopes; or the evidence in any of
 * the given scopes (a control).
 */
export type GroupSelection = { kind: 'stage'; exclude: GroupScope[] } | { kind: 'scopes'; anyOf: GroupScope[] };

/** ComparisonReading is what a comparison criterion reads besides its window: the reference group's window and both selections. */
export interface ComparisonReading {
  reference: TimeWindow;
  treatment: GroupSelection;
  control: GroupSelection;
  /** keepValues: the test ranks the values (mann-whitney), rather than using their moments. */
  keepValues: boolean;
  /** windowFull: the stage has run for the criterion's whole window. */
  windowFull: boolean;
}

/** CriterionReading is what one criterion reads in an evaluation: its window and, for a baseline criterion, the baseline window. */
export interface CriterionReading {
  index: number;
  metric: string;
  window: TimeWindow;
  baseline?: TimeWindow;
  comparison?: ComparisonReading;
}

/** CriterionReadings: the readings, in plan order, and the indexes of criteria whose durations do not parse (none in a validated plan). */
export interface CriterionReadings {
  readings: CriterionReading[];
  unreadable: number[];
}

/**
 * comparisonReading is what a comparison criterion reads: `baseline` compares the stage's own
 * evidence in its window with the same scope over an equally long window just before the stage
 * started; `control` compares it with the control group over the same window, the stage's own
 * evidence leaving the control's scope out. previousWave lists the earlier wave's sites of a
 * per-site stage, for `control: { wave: previous }` (none: that control group is empty).
 */
export function comparisonReading(criterion: Criterion, window: TimeWindow, stageStartedAt: number, now: number, previousWave: readonly string[] = []): ComparisonReading | undefined {
  const compare = criterion.compare;
  if (compare === undefined) return undefined;
  const keepValues = compare.test === 'mann-whitney';
  const full = windowFull(criterion, stageStartedAt, now);
  if (compare.against === 'baseline') {
    const length = parseDuration(criterion.window) ?? window.to - window.from;
    const reference = { from: stageStartedAt - length, to: stageStartedAt };
    return { reference, treatment: { kind: 'stage', exclude: [] }, control: { kind: 'stage', exclude: [] }, keepValues, windowFull: full };
  }
  const scopes: GroupScope[] = compare.control === undefined ? [] : 'scope' in compare.control ? [compare.control.scope] : previousWave.map((site) => ({ site }));
  return { reference: window, treatment: { kind: 'stage', exclude: scopes }, control: { kind: 'scopes', anyOf: scopes }, keepValues, windowFull: full };
}

/** criterionReadings lists the windows an evaluation at `now` of a stage whose evidence window started at stageStartedAt reads (see criterionWindows). */
export function criterionReadings(criteria: readonly Criterion[], stageStartedAt: number, now: number, previousWave: readonly string[] = []): CriterionReadings {
  const readings: CriterionReading[] = [];
  const unreadable: number[] = [];
  criteria.forEach((criterion, index) => {
    const windows = criterionWindows(criterion, stageStartedAt, now);
    if (windows === undefined) unreadable.push(index);
    else {
      const comparison = comparisonReading(criterion, windows.window, stageStartedAt, now, previousWave);
      readings.push({ index, metric: criterion.metric, window: windows.window, ...(windows.baseline ? { baseline: windows.baseline } : {}), ...(comparison ? { comparison } : {}) });
    }
  });
  return { readings, unreadable };
}

/** observedCriterion is a reading with what was seen in its windows, as judgeStage takes it. */
export function observedCriterion(reading: CriterionReading, observation: Observation, baseline: Observation | undefined): CriterionObservation {
  const observed: CriterionObservation = { index: reading.index, metric: reading.metric, window: isoWindow(reading.window), observation };
  if (reading.baseline !== undefined && baseline !== undefined) {
    observed.baselineWindow = isoWindow(reading.baseline);
    observed.baseline = baseline;
  }
  return observed;
}

/** withComparison adds what a comparison criterion's groups held to its observation. */
export function withComparison(observed: CriterionObservation, reading: CriterionReading, treatment: SampleSummary, reference: SampleSummary): CriterionObservation {
  const comparison = reading.comparison!;
  return { ...observed, comparison: { treatment, reference, referenceWindow: isoWindow(comparison.reference), windowFull: comparison.windowFull } };
}

/** observeCriteria reads every reading with a reader in memory. */
export function observeCriteria(readings: readonly CriterionReading[], reader: EvidenceReader<Observation>): CriterionObservation[] {
  return readings.map((reading) => {
    const observed = observedCriterion(reading, reader.observe(reading.metric, reading.window), reading.baseline && reader.observe(reading.metric, reading.baseline));
    const comparison = reading.comparison;
    if (comparison === undefined || reader.group === undefined) return observed;
    const treatment = reader.group(reading.metric, reading.window, comparison.treatment, comparison.keepValues);
    const reference = reader.group(reading.metric, comparison.reference, comparison.control, comparison.keepValues);
    return withComparison(observed, reading, treatment, reference);
  });
}

/** observeCriteriaAsync reads the criteria with a reader that answers later: the criteria at once, each one's window before its baseline. */
export function observeCriteriaAsync(readings: readonly CriterionReading[], reader: EvidenceReader<Promise<Observation>>): Promise<CriterionObservation[]> {
  return Promise.all(
    readings.map(async (reading) => {
      const observation = await reader.observe(reading.metric, reading.window);
      const baseline = reading.baseline ? await reader.observe(reading.metric, reading.baseline) : undefined;
      const observed = observedCriterion(reading, observation, baseline);
      const comparison = reading.comparison;
      if (comparison === undefined || reader.group === undefined) return observed;
      const treatment = await reader.group(reading.metric, reading.window, comparison.treatment, comparison.keepValues);
      const reference = await reader.group(reading.metric, comparison.reference, comparison.control, comparison.keepValues);
      return withComparison(observed, reading, treatment, reference);
    }),
  );
}
