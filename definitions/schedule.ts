import { parseDuration } from './duration';
import { topologicalOrder } from './graph';
import type { Stage } from './schema';
import { expectedWaveDates, stageWaves } from './sites';

/**
 * The earliest schedule of a plan: how long each stage takes at least and when each can start.
 * Sign-off time, evidence and execution windows are ignored, so real dates are these or later.
 * Pure and deterministic: the rollout workflow uses it for its wave plan, `rollgate explain` for
 * its dates and critical path.
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

/**
 * Schedule is a plan's earliest schedule, in ms after the rollout starts: each stage's earliest
 * start and finish, the dependency it waits for longest (`via`, undefined for a stage that
 * depends on nothing), and the stages in topological order.
 */
export type Schedule = {
  start: Map<string, number>;
  finish: Map<string, number>;
  via: Map<string, string | undefined>;
  order: string[];
};

/** earliestStarts: when each stage can start and finish at the earliest, and through which dependency. */
export function earliestStarts(stages: readonly Stage[]): Schedule {
  const byId = new Map(stages.map((stage) => [stage.id, stage]));
  const start = new Map<string, number>();
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const order = topologicalOrder(stages);
  for (const id of order) {
    let at = 0;
    let before: string | undefined;
    for (const dep of byId.get(id)!.dependsOn) {
      const depFinish = finish.get(dep)!;
      if (before === undefined || depFinish > at) [at, before] = [depFinish, dep];
    }
    start.set(id, at);
    finish.set(id, at + stageSpanMs(byId.get(id)!));
    via.set(id, before);
  }
  return { start, finish, via, order };
}

/** The longest chain of stages by minimum duration: the soonest the whole rollout can pass. */
export type CriticalPath = { stages: string[]; totalMs: number };

/**
 * criticalPath finds the chain of dependent stages whose minimum durations add up to the most;
 * a per-site stage counts from its first wave's start to its last wave's earliest finish. On
 * ties the chain ends at the stage earliest in topological order and runs through the
 * dependency listed first, so the answer is stable. `schedule` is the plan's earliestStarts,
 * for a caller that has it already.
 */
export function criticalPath(plan: { readonly stages: readonly Stage[] }, schedule: Schedule = earliestStarts(plan.stages)): CriticalPath {
  const { finish, via, order } = schedule;
  let last: string | undefined;
  for (const id of order) if (last === undefined || finish.get(id)! > finish.get(last)!) last = id;
  const stages: string[] = [];
  for (let id = last; id !== undefined; id = via.get(id)) stages.unshift(id);
  return { stages, totalMs: last === undefined ? 0 : finish.get(last)! };
}
