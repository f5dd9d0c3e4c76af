import { parseDuration } from './duration';
import { topologicalOrder } from './graph';
import type { Stage } from './schema';
import { expectedWaveDates, stageWaves } from './sites';

/**
 * The earliest schedule of a plan: how long each stage takes at least and when each can start.
 * Sign-off time, evidence and execution windows are ignored, so real dates are these or later.
 * Pure and deterministic: the rollout workflow uses it for its wave plan, `rollgate explain` for
 * its dates.
 */

/** waveDates are a per-site stage's waves with their earliest start and finish, from startMs. */
export function waveDates(stage: Stage, startMs: number) {
  return expectedWaveDates({
    waves: stageWaves(stage) ?? [],
    startMs,
    minDurationMs: parseDuration(stage.minDuration) ?? 0,
    feedbackCycleMs: stage.forEach?.feedbackCycle === undefined ? 0 : (parseDuration(stage.forEach.feedbackCycle) ?? 0),
  });
}

/**
 * stageSpanMs is the least time a stage takes: its minimum duration; for a per-site stage from
 * the start of its first wave to the earliest finish of its last, feedback cycles included;
 * for a steady-state stage at least its horizon, when the lagging KPIs are first judged.
 */
export function stageSpanMs(stage: Stage): number {
  const minDurationMs = parseDuration(stage.minDuration) ?? 0;
  const last = waveDates(stage, 0).at(-1);
  if (last !== undefined) return last.finishMs;
  return Math.max(minDurationMs, parseDuration(stage.steadyState?.horizon ?? '') ?? 0);
}

/** earliestStarts: when each stage can start at the earliest, in ms after the rollout starts, and through which dependency. */
export function earliestStarts(stages: readonly Stage[]): { start: Map<string, number>; via: Map<string, string | undefined>; order: string[] } {
  const byId = new Map(stages.map((stage) => [stage.id, stage]));
  const start = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const order = topologicalOrder(stages);
  for (const id of order) {
    let at = 0;
    let before: string | undefined;
    for (const dep of byId.get(id)!.dependsOn) {
      const depFinish = start.get(dep)! + stageSpanMs(byId.get(dep)!);
      if (before === undefined || depFinish > at) [at, before] = [depFinish, dep];
    }
    start.set(id, at);
    via.set(id, before);
  }
  return { start, via, order };
}
