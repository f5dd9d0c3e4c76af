import { BUILT_IN_METRICS, isBuiltInMetric } from '../definitions/built-in-metrics';
import type { Approval, Criterion, ExecutionWindow, ForEach, Plan, Prerequisite, Stage, SteadyState } from '../definitions/schema';
import { baseRole } from '../definitions/sites';

/**
 * Plan parts in words, shared by `rollgate graph` and `rollgate explain`. Pure: no I/O, and
 * everything in plan order.
 */

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** approvalsText: `deployment-lead, line-supervisor ×2`; a count of 1 is not written. */
export function approvalsText(approvals: readonly Approval[]): string {
  return approvals.map(({ role, count }) => (count === 1 ? role : `${role} ×${count}`)).join(', ');
}

/** wavesText: `per site, waves 1 → 2 → rest, 4w apart`. */
export function wavesText(forEach: ForEach): string {
  const apart = forEach.feedbackCycle === undefined ? '' : `, ${forEach.feedbackCycle} apart`;
  return `per ${unitNoun(forEach)}, waves ${forEach.waves.join(' → ')}${apart}`;
}

/**
 * prerequisitesBefore lists the prerequisites that gate a stage: those naming it in `before`,
 * and, for a stage that depends on nothing, those without `before` (they gate the whole rollout).
 */
export function prerequisitesBefore(plan: Plan, stage: Stage): Prerequisite[] {
  return plan.prerequisites.filter((p) => p.before === stage.id || (p.before === undefined && stage.dependsOn.length === 0));
}

/**
 * stageLabelLines are the lines of a stage's node in the graph: title, mode and duration, then
 * its gates; a per-site stage says what runs per site, a steady-state stage its governance.
 */
export function stageLabelLines(plan: Plan, stage: Stage): string[] {
  const unit = stage.forEach === undefined ? '' : ` per ${unitNoun(stage.forEach)}`;
  const lines = [oneLine(stage.title), `${stage.mode} · min ${stage.minDuration}${unit}`, `sign-off${unit}: ${approvalsText(stage.approvals)}`];
  const prerequisites = prerequisitesBefore(plan, stage);
  if (prerequisites.length > 0) lines.push(`prerequisites: ${prerequisites.map((p) => (p.perSite ? `${p.id}${unit}` : p.id)).join(', ')}`);
  lines.push(stage.criteria.length === 0 ? 'no criteria' : plural(stage.criteria.length, 'criterion', 'criteria'));
  if (stage.forEach !== undefined) lines.push(wavesText(stage.forEach));
  if (stage.steadyState !== undefined) lines.push(steadyStateText(stage.steadyState));
  return lines;
}

/** unitNoun: site or line, what a forEach stage runs once for. */
export function unitNoun(forEach: ForEach): string {
  return forEach.over === 'sites' ? 'site' : 'line';
}

/** steadyStateText: `steady state: review every 4w, retrain every 13w, horizon 78w`. */
export function steadyStateText(steady: SteadyState): string {
  const retrain = steady.retrainEvery === undefined ? '' : `, retrain every ${steady.retrainEvery}`;
  return `steady state: review every ${steady.reviewEvery}${retrain}, horizon ${steady.horizon}`;
}

/** windowText: `mon–fri 06:00–14:00 (early shift)`; a window ending at or before its start ends the next day. */
export function windowText(window: ExecutionWindow): string {
  const [from, to] = [window.from, window.to];
  const next = to <= from ? ' next day' : '';
  const about = window.description === undefined ? '' : ` (${oneLine(window.description)})`;
  return `${daysText(window.days)} ${from}–${to}${next}${about}`;
}

const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * daysText writes runs of three or more days in a row as a range, the week wrapping around:
 * `mon–fri`, `mon, wed, fri–sun`, `sun–thu`.
 */
function daysText(days: readonly string[]): string {
  const listed = WEEK.map((day) => days.includes(day));
  if (listed.every(Boolean)) return 'every day';
  // Start after a day that is not listed, so that a run across the weekend stays whole.
  const first = listed.findIndex((on, k) => on && !listed[(k + 6) % 7]);
  const runs: number[][] = [];
  for (let step = 0; step < 7; step++) {
    const index = (first + step) % 7;
    if (!listed[index]) continue;
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === (index + 6) % 7) run.push(index);
    else runs.push([index]);
  }
  return runs
    .flatMap((run) => (run.length >= 3 ? [`${WEEK[run[0]!]}–${WEEK[run.at(-1)!]}`] : run.map((index) => WEEK[index]!)))
    .join(', ');
}

const OPERATOR_TEXT = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' } as const;

/** Units that read better left out: `precision ≥ 0.95`, not `≥ 0.95 ratio`. */
const SILENT_UNITS = new Set(['ratio', 'count']);

/**
 * criterionText puts a criterion in words:
 * `weld-defect-escape-rate ≤ 50 ppm over 14d, ≥200 samples, 3 evaluations in a row`, or for a
 * baseline `line-throughput at most 2% worse than in the 4w before the stage, over 14d`.
 */
export function criterionText(plan: Plan, criterion: Criterion): string {
  const metric = plan.metrics?.[criterion.metric] ?? (isBuiltInMetric(criterion.metric) ? BUILT_IN_METRICS[criterion.metric] : undefined);
  let condition: string;
  if (criterion.baseline !== undefined) {
    const { window, maxRegression } = criterion.baseline;
    condition = `at most ${maxRegression} worse than in the ${window} before the stage`;
  } else {
    const op = criterion.op ?? (metric?.direction === 'lower-is-better' ? '<=' : '>=');
    const unit = metric === undefined || SILENT_UNITS.has(metric.unit) ? '' : metric.unit === '%' ? '%' : ` ${metric.unit}`;
    condition = `${OPERATOR_TEXT[op]} ${criterion.threshold ?? '?'}${unit}`;
  }
  const parts = [`${criterion.metric} ${condition}${criterion.baseline === undefined ? '' : ','} over ${criterion.window}`];
  if (criterion.minSamples > 1) parts.push(`≥${criterion.minSamples} samples`);
  if (criterion.consecutive > 1) parts.push(`${criterion.consecutive} evaluations in a row`);
  return parts.join(', ');
}

/** oneLine folds a text's line breaks and runs of spaces, as a label needs. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** membersText names who holds a role under the plan's roles map; a scoped role falls back to its base role. */
export function membersText(plan: Plan, role: string): string {
  if (plan.roles === undefined) return ': whoever holds the role on their token';
  const members = plan.roles[role]?.members ?? plan.roles[baseRole(role)]?.members ?? [];
  return members.length === 0 ? '' : `: ${members.join(', ')}`;
}

/** formatInstant: the UTC date, with the time only when it is not midnight. */
export function formatInstant(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16)}Z`;
}
