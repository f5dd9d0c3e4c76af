import type { Criterion } from '../definitions/schema';
import { criterionWindows, isoWindow, type CriterionObservation, type Observation, type TimeWindow } from './criteria';

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
}

/** CriterionReading is what one criterion reads in an evaluation: its window and, for a baseline criterion, the baseline window. */
export interface CriterionReading {
  index: number;
  metric: string;
  window: TimeWindow;
  baseline?: TimeWindow;
}

/** CriterionReadings: the readings, in plan order, and the indexes of criteria whose durations do not parse (none in a validated plan). */
export interface CriterionReadings {
  readings: CriterionReading[];
  unreadable: number[];
}

/** criterionReadings lists the windows an evaluation at `now` of a stage whose evidence window started at stageStartedAt reads (see criterionWindows). */
export function criterionReadings(criteria: readonly Criterion[], stageStartedAt: number, now: number): CriterionReadings {
  const readings: CriterionReading[] = [];
  const unreadable: number[] = [];
  criteria.forEach((criterion, index) => {
    const windows = criterionWindows(criterion, stageStartedAt, now);
    if (windows === undefined) unreadable.push(index);
    else readings.push({ index, metric: criterion.metric, window: windows.window, ...(windows.baseline ? { baseline: windows.baseline } : {}) });
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

/** observeCriteria reads every reading with a reader in memory. */
export function observeCriteria(readings: readonly CriterionReading[], reader: EvidenceReader<Observation>): CriterionObservation[] {
  return readings.map((reading) =>
    observedCriterion(reading, reader.observe(reading.metric, reading.window), reading.baseline && reader.observe(reading.metric, reading.baseline)),
  );
}

/** observeCriteriaAsync reads the criteria with a reader that answers later: the criteria at once, each one's window before its baseline. */
export function observeCriteriaAsync(readings: readonly CriterionReading[], reader: EvidenceReader<Promise<Observation>>): Promise<CriterionObservation[]> {
  return Promise.all(
    readings.map(async (reading) => {
      const observation = await reader.observe(reading.metric, reading.window);
      const baseline = reading.baseline ? await reader.observe(reading.metric, reading.baseline) : undefined;
      return observedCriterion(reading, observation, baseline);
    }),
  );
}
