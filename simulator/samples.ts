import type { Observation, TimeWindow } from '../policy/criteria';
import type { EvidenceReader, GroupScope, GroupSelection } from '../policy/evidence-reader';
import { summarize, type SampleSummary } from '../policy/statistics/summary';

/**
 * The simulator's evidence: a scenario's samples in memory, read through the same EvidenceReader
 * interface as the PostgreSQL store (activities/evaluation.ts), with the same arithmetic.
 */

export interface ScenarioSample {
  metric: string;
  value: number;
  /** at is when the sample was observed, epoch milliseconds. */
  at: number;
  /** scope says where it was observed, e.g. { line: 'line-2' }; a comparison's control reads it. */
  scope?: GroupScope;
}

/** Scenario is the evidence a simulation reads: metric samples, sorted by time (samples of one metric out of order are sorted). */
export interface Scenario {
  samples: ScenarioSample[];
}

/**
 * SampleIndex is the in-memory equivalent of db/evidence.ts windowObservations: `observe` is the
 * mean of a metric's samples in [from, to) and how many there are, in O(log n). Running sums are
 * kept in two parts (value and rounding error), so that a window's sum does not drift however
 * many samples come before it, and the mean is rounded to 12 significant digits, as PostgreSQL's
 * exact numeric mean of decimal values comes out, so that 0.95 averages to 0.95.
 */
export type SampleIndex = EvidenceReader<Observation> & {
  /** newest is the time of metric's newest sample in [from, to), or null. */
  newest(metric: string, window: TimeWindow): number | null;
  group(metric: string, window: TimeWindow, selection: GroupSelection, keepValues: boolean): SampleSummary;
};

interface MetricSeries {
  times: number[];
  /** sums[i] + errors[i] is the sum of the first i values. */
  sums: number[];
  errors: number[];
}

/** indexSamples builds a SampleIndex; samples whose value or time is not a finite number are left out. */
export function indexSamples(samples: readonly ScenarioSample[]): SampleIndex {
  const byMetric = new Map<string, ScenarioSample[]>();
  for (const sample of samples) {
    if (!Number.isFinite(sample.value) || !Number.isFinite(sample.at)) continue;
    let list = byMetric.get(sample.metric);
    if (list === undefined) byMetric.set(sample.metric, (list = []));
    list.push(sample);
  }
  const series = new Map<string, MetricSeries>();
  for (const [metric, list] of byMetric) {
    if (!isSorted(list)) list.sort((a, b) => a.at - b.at);
    const times = list.map((sample) => sample.at);
    const sums = [0];
    const errors = [0];
    list.forEach((sample, i) => {
      // TwoSum: s is the rounded sum, e exactly what rounding lost.
      const a = sums[i]!;
      const b = sample.value;
      const s = a + b;
      const bVirtual = s - a;
      const e = a - (s - bVirtual) + (b - bVirtual);
      sums.push(s);
      errors.push(errors[i]! + e);
    });
    series.set(metric, { times, sums, errors });
  }
  const groups = new Map<string, SampleSummary>();
  return {
    observe(metric: string, window: TimeWindow): Observation {
      const found = series.get(metric);
      if (found === undefined) return { value: null, samples: 0 };
      const from = lowerBound(found.times, window.from);
      const to = lowerBound(found.times, window.to);
      const count = to - from;
      if (count <= 0) return { value: null, samples: 0 };
      const sum = found.sums[to]! - found.sums[from]! + (found.errors[to]! - found.errors[from]!);
      return { value: Number((sum / count).toPrecision(12)), samples: count };
    },
    newest(metric: string, window: TimeWindow): number | null {
      const found = series.get(metric);
      if (found === undefined) return null;
      const to = lowerBound(found.times, window.to);
      const at = found.times[to - 1];
      return at !== undefined && at >= window.from ? at : null;
    },
    /**
     * group is db/sample-groups.ts sampleGroup in memory: the samples of [from, to) the selection keeps.
     * The last summary of each metric and selection is kept, since a baseline's reference window
     * stays the same from one evaluation to the next.
     */
    group(metric: string, window: TimeWindow, selection: GroupSelection, keepValues: boolean): SampleSummary {
      const key = `${metric}\u0000${window.from}\u0000${window.to}\u0000${keepValues}\u0000${JSON.stringify(selection)}`;
      const cached = groups.get(key);
      if (cached !== undefined) return cached;
      const list = byMetric.get(metric) ?? [];
      const found = series.get(metric);
      const from = found ? lowerBound(found.times, window.from) : 0;
      const to = found ? lowerBound(found.times, window.to) : 0;
      const inScope = (sample: ScenarioSample, scopes: readonly GroupScope[]) => scopes.some((scope) => within(sample.scope ?? {}, scope));
      const everything = selection.kind === 'stage' && selection.exclude.length === 0;
      const kept: number[] = [];
      for (let i = from; i < to; i++) {
        const sample = list[i]!;
        if (everything || (selection.kind === 'stage' ? !inScope(sample, selection.exclude) : inScope(sample, selection.anyOf))) kept.push(sample.value);
      }
      const summary = summarize(kept, keepValues);
      if (groups.size >= MAX_CACHED_GROUPS) groups.clear();
      groups.set(key, summary);
      return summary;
    },
  };
}

const MAX_CACHED_GROUPS = 64;

/** within tells whether a sample's scope has every entry of scope. */
function within(sampleScope: GroupScope, scope: GroupScope): boolean {
  return Object.entries(scope).every(([key, value]) => sampleScope[key as keyof GroupScope] === value);
}

function isSorted(list: readonly ScenarioSample[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.at < list[i - 1]!.at) return false;
  return true;
}

/** lowerBound is the first index whose time is >= t. */
function lowerBound(times: readonly number[], t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < t) low = mid + 1;
    else high = mid;
  }
  return low;
}
