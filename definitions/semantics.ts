import { BUILT_IN_METRICS } from './built-in-metrics';
import { formatDuration, parseDuration } from './duration';
import { prefix } from './format-path';
import { checkGraph, stageReach, type StageReach } from './graph';
import { LINT_RULES, isLintRule } from './lint';
import type { PlanProblem } from './problem';
import { earliestStarts } from './schedule';
import type { Criterion, Plan, Stage } from './schema';
import { dataQualityChecks, LABELLED_METRICS, type DataQualityCheck } from './data-quality';
import { checkForEach, checkPerSitePrerequisite, checkSteadyState, checkTimeZones, type SiteRuleContext } from './site-semantics';
import { baseRole, forEachUnits, siteRole } from './sites';
import { closestMatch, didYouMean } from './suggest';

/**
 * Cross-field rules of the plan format that the schema cannot state: every role, metric,
 * stage and lint rule a plan names must exist, and related fields must agree. The stage graph
 * itself (ids, dependsOn, cycles) is checked by definitions/graph.ts.
 *
 * checkSemantics takes a plan that passed the schema and returns every problem at once, in
 * plan order. Pure: no I/O.
 */
/** SemanticsOptions: what the cross-field rules need to know besides the plan. */
export type SemanticsOptions = {
  /** providers are the metric providers' names the worker has; unset skips the check of metrics' source.provider. */
  providers?: readonly string[];
};

export function checkSemantics(plan: Plan, options: SemanticsOptions = {}): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const report = (path: Path, text: string, at?: Path): void => {
    problems.push(at === undefined ? { path, message: `${prefix(path)}${text}` } : { path, at, message: `${prefix(at)}${text}` });
  };
  const suggest = suggester();
  const hint: Hint = (word, candidates) => didYouMean(suggest(word, candidates));
  const stageIds = plan.stages.map((stage) => stage.id);
  const knownStages = new Set(stageIds);
  const checkRole = roleChecker(plan, report, suggest);
  const reach = stageReach(plan.stages);
  const sites: SiteRuleContext = { report, checkRole, suggest };
  checkTimeZones(plan, sites);

  const prerequisiteIds = new Map<string, number>();
  plan.prerequisites.forEach((prerequisite, k) => {
    const at: Path = ['prerequisites', k];
    const first = prerequisiteIds.get(prerequisite.id);
    if (first === undefined) prerequisiteIds.set(prerequisite.id, k);
    else report([...at, 'id'], `duplicate prerequisite id "${prerequisite.id}": prerequisites[${first}] already uses it`);
    if (prerequisite.before !== undefined && !knownStages.has(prerequisite.before)) {
      report([...at, 'before'], `unknown stage "${prerequisite.before}"${hint(prerequisite.before, stageIds)}`);
    }
    if (prerequisite.perSite) checkPerSitePrerequisite(plan, prerequisite, at, sites);
    else checkRole([...at, 'signedBy'], prerequisite.signedBy);
  });

  checkMetricSources(plan, options.providers, report, hint);
  const metricNames = [...Object.keys(plan.metrics ?? {}), ...Object.keys(BUILT_IN_METRICS)];
  const knownMetrics = new Set(metricNames);
  plan.stages.forEach((stage, i) => {
    const at: Path = ['stages', i];
    const units = forEachUnits(stage);
    stage.approvals.forEach((approval, k) => checkRole([...at, 'approvals', k, 'role'], approval.role, units));
    stage.escalation.forEach((step, k) => {
      if (step.action === 'escalate') checkRole([...at, 'escalation', k, 'to'], step.to, units);
    });
    if (stage.overrideAuthority !== undefined) checkRole([...at, 'overrideAuthority'], stage.overrideAuthority, units);
    if (stage.deferral?.deferTo !== undefined) checkRole([...at, 'deferral', 'deferTo'], stage.deferral.deferTo);

    if (stage.mode === 'supervised' && stage.overrideAuthority === undefined) {
      report([...at, 'overrideAuthority'], 'a supervised stage needs overrideAuthority: the role that may override the model', at);
    }

    stage.criteria.forEach((criterion, k) => {
      const path: Path = [...at, 'criteria', k];
      if (!knownMetrics.has(criterion.metric)) {
        const suggestion = hint(criterion.metric, metricNames);
        report([...path, 'metric'], `unknown metric "${criterion.metric}"${suggestion || ': declare it under metrics, or use a built-in metric such as precision'}`);
      }
      const checks = dataQualityChecks(criterion);
      if (checks.length > 0) {
        checkDataQuality(plan, criterion, checks, path, report);
      } else {
        if (criterion.threshold !== undefined && criterion.baseline !== undefined) report(path, 'give a threshold or a baseline, not both');
        if (criterion.compare !== undefined) checkCompare(plan, stage, criterion, path, report);
        else if (criterion.threshold === undefined && criterion.baseline === undefined) report(path, 'needs a threshold or a baseline to compare the metric with');
      }
      const builtIn = Object.prototype.hasOwnProperty.call(BUILT_IN_METRICS, criterion.metric)
        ? BUILT_IN_METRICS[criterion.metric as keyof typeof BUILT_IN_METRICS]
        : undefined;
      if (builtIn?.unit === 'ratio' && criterion.threshold !== undefined && (criterion.threshold < 0 || criterion.threshold > 1)) {
        report([...path, 'threshold'], `${criterion.threshold} is not a ratio: ${criterion.metric} lies between 0 and 1, so write e.g. 0.9 for 90%`);
      }
    });

    checkDurations(stage, at, report);
    checkEscalationOrder(stage, at, report);
    checkRollback(stage, at, { stageIds, knownStages, reach, hint, report });
    checkForEach(stage, at, sites);
    checkSteadyState(stage, at, sites);

    if (stage.deferral?.irreversible && stage.deferral.safeDefault === 'execute') {
      report([...at, 'deferral', 'safeDefault'], 'never execute an irreversible decision by default: use hold or escalate');
    }

    stage.lint?.ignore.forEach((suppression, k) => {
      const path: Path = [...at, 'lint', 'ignore', k];
      if (!isLintRule(suppression.rule)) {
        const rules = Object.keys(LINT_RULES);
        report([...path, 'rule'], `unknown lint rule "${suppression.rule}"${hint(suppression.rule, rules) || `; the rules are ${rules.join(', ')}`}`);
      }
      if (suppression.reason.trim() === '') report([...path, 'reason'], 'must not be blank: give the reason the warning does not apply here');
    });
  });
  checkSchedule(plan, report);
  return problems;
}

/**
 * MAX_SCHEDULE_MS bounds a plan's earliest schedule: every stage can finish within 100 years of
 * the rollout's start. Each duration is at most 10 years, but a chain of stages, or the waves of
 * a per-site stage, add up; the bound keeps every date the engine plans inside a Date's range.
 */
export const MAX_SCHEDULE_MS = 36_525 * 86_400_000;

/** checkSchedule reports the first stage, in topological order, whose earliest finish lies beyond MAX_SCHEDULE_MS. */
function checkSchedule(plan: Plan, report: Report): void {
  if (checkGraph(plan.stages).length > 0) return;
  const { finish, order } = earliestStarts(plan.stages);
  const late = order.find((id) => finish.get(id)! > MAX_SCHEDULE_MS);
  if (late === undefined) return;
  const i = plan.stages.findIndex((stage) => stage.id === late);
  report(
    ['stages', i, 'minDuration'],
    `stage "${late}" finishes ${formatDuration(finish.get(late)!)} (about ${Math.round(finish.get(late)! / (365.25 * 86_400_000))} years) after the rollout starts at the earliest, beyond the 100 years (36525d) a plan's schedule may span: shorten its durations or waves, or those of the stages before it`,
  );
}

type Path = Array<string | number>;
type Report = (path: Path, text: string, at?: Path) => void;
type Hint = (word: string, candidates: readonly string[]) => string;
type Suggest = (word: string, candidates: readonly string[]) => string | undefined;

/** At most this many "did you mean" suggestions per plan, to keep huge broken plans cheap. */
const MAX_SUGGESTIONS = 20;
/** A message lists at most this many stages. */
const MAX_LISTED = 12;

/** suggester is closestMatch with the plan's budget of suggestions. */
function suggester(): Suggest {
  let left = MAX_SUGGESTIONS;
  return (word, candidates) => (left-- > 0 ? closestMatch(word, candidates) : undefined);
}

/**
 * roleChecker checks role names against the plan's `roles` map, when it has one. A name
 * scoped to a site (`plant-manager@plant-b`) is declared when either it or its base role is.
 * Given the sites of a per-site stage, an unscoped role stands for role@site at each of them,
 * so it is declared when the base role is or every site's scoped role is.
 */
function roleChecker(plan: Plan, report: Report, suggest: Suggest): (path: Path, role: string, sites?: readonly string[]) => void {
  if (plan.roles === undefined) return () => undefined;
  const declared = Object.keys(plan.roles);
  const known = new Set(declared);
  return (path, role, sites) => {
    const base = baseRole(role);
    if (known.has(role) || known.has(base)) return;
    const unscoped = base === role;
    const scoped = unscoped ? declared.filter((name) => name.startsWith(`${role}@`)) : [];
    if (sites !== undefined && unscoped && scoped.length > 0) {
      const missing = sites.map((site) => siteRole(role, site)).filter((name) => !known.has(name));
      if (missing.length > 0) {
        report(path, `role "${role}" signs per site, as ${role}@<site>: declare ${role}, or ${missing.join(', ')}, under roles`);
      }
      return;
    }
    const near = suggest(role, declared);
    // For a scoped name, a near miss of its base role keeps the site.
    const nearBase = near === undefined && !unscoped ? suggest(base, declared.filter((name) => !name.includes('@'))) : undefined;
    const suggestion = near ?? (nearBase === undefined ? undefined : `${nearBase}${role.slice(base.length)}`);
    const text =
      didYouMean(suggestion) || (scoped.length > 0 ? `: roles declares it only per site, as ${scoped.join(', ')}` : ': declare it under roles');
    report(path, `unknown role "${role}"${text}`);
  };
}

function checkDurations(stage: Stage, at: Path, report: Report): void {
  if (stage.maxDuration === undefined) return;
  const min = parseDuration(stage.minDuration);
  const max = parseDuration(stage.maxDuration);
  if (min !== undefined && max !== undefined && max < min) {
    report([...at, 'maxDuration'], `${stage.maxDuration} is shorter than minDuration ${stage.minDuration}`);
  }
}

/** Each escalation step must come later than every step before it. */
function checkEscalationOrder(stage: Stage, at: Path, report: Report): void {
  let latest: { k: number; after: string; ms: number } | undefined;
  stage.escalation.forEach((step, k) => {
    const ms = parseDuration(step.after);
    if (ms === undefined) return;
    if (latest !== undefined && ms <= latest.ms) {
      report(
        [...at, 'escalation', k, 'after'],
        `${step.after} is not later than escalation[${latest.k}].after (${latest.after}); list escalation steps in increasing order of after`,
      );
    } else {
      latest = { k, after: step.after, ms };
    }
  });
}

type RollbackContext = { stageIds: string[]; knownStages: ReadonlySet<string>; reach: StageReach; hint: Hint; report: Report };

/** A stage rolls back to a stage it depends on, directly or through others: that stage ran before it. */
function checkRollback(stage: Stage, at: Path, { stageIds, knownStages, reach, hint, report }: RollbackContext): void {
  if (typeof stage.onFailure !== 'object') return;
  const target = stage.onFailure.rollback;
  const path: Path = [...at, 'onFailure', 'rollback'];
  if (!knownStages.has(target)) {
    report(path, `unknown stage "${target}"${hint(target, stageIds)}`);
    return;
  }
  if (target !== stage.id && reach.isUpstream(target, stage.id)) return;
  const upstream = reach.upstream(stage.id).filter((id) => id !== stage.id);
  const shown = upstream.length > MAX_LISTED ? [...upstream.slice(0, MAX_LISTED), `and ${upstream.length - MAX_LISTED} more`] : upstream;
  const known = upstream.length === 0 ? `stage "${stage.id}" has no upstream stages` : `its upstream stages are ${shown.join(', ')}`;
  report(path, `stage "${stage.id}" can only roll back to a stage upstream of it, and "${target}" is not; ${known}`);
}

/** A pulled metric names a provider the worker has (when the list is known). */
function checkMetricSources(plan: Plan, providers: readonly string[] | undefined, report: Report, hint: Hint): void {
  if (providers === undefined) return;
  const known = new Set(providers);
  for (const [name, metric] of Object.entries(plan.metrics ?? {})) {
    const provider = metric.source?.provider;
    if (provider === undefined || known.has(provider)) continue;
    const listed = providers.length === 0 ? 'the worker has no metric providers configured' : `the worker's providers are ${providers.join(', ')}`;
    report(['metrics', name, 'source', 'provider'], `unknown metric provider "${provider}"${hint(provider, providers) || `: ${listed}`}`);
  }
}

/** A data-quality criterion has one check, and no threshold or baseline; each check reads the evidence it needs. */
function checkDataQuality(plan: Plan, criterion: Criterion, checks: DataQualityCheck[], path: Path, report: Report): void {
  if (checks.length > 1) report(path, `give one data-quality check per criterion, not ${checks.join(' and ')}`);
  if (criterion.threshold !== undefined || criterion.baseline !== undefined) {
    report(path, `a ${checks[0]} criterion judges the evidence itself: leave out threshold and baseline`);
  }
  const declared = plan.metrics !== undefined && Object.prototype.hasOwnProperty.call(plan.metrics, criterion.metric) ? plan.metrics[criterion.metric] : undefined;
  if (criterion.completeness !== undefined && criterion.completeness.cadence === undefined && declared?.cadence === undefined) {
    report([...path, 'completeness'], `needs a cadence: give completeness.cadence, or cadence on metric "${criterion.metric}"`);
  }
  if (criterion.labelDrift !== undefined && !(declared === undefined ? LABELLED_METRICS.has(criterion.metric) : declared.labelSensitive === true)) {
    report([...path, 'labelDrift'], `label drift is judged on recommendations' outcomes: name a built-in metric such as precision, or a catalog metric with labelSensitive: true, not "${criterion.metric}"`);
  }
  if (criterion.skew !== undefined && (declared === undefined || declared.source !== undefined)) {
    report([...path, 'skew'], `clock skew is judged on reported samples, and "${criterion.metric}" is ${declared ? 'pulled from a provider' : 'not a reported metric of the catalog'}`);
  }
}

/**
 * checkCompare: a comparison criterion stands alone (no threshold, baseline or op), reads the
 * samples of a catalog metric, names a control exactly when it compares against one, and
 * compares with the previous wave only in a per-site stage.
 */
function checkCompare(plan: Plan, stage: Stage, criterion: Stage['criteria'][number], path: Path, report: (path: Path, text: string, at?: Path) => void): void {
  const compare = criterion.compare!;
  const at: Path = [...path, 'compare'];
  if (criterion.threshold !== undefined || criterion.baseline !== undefined) report(path, 'give compare alone: a comparison criterion has no threshold or baseline');
  if (criterion.op !== undefined) report([...path, 'op'], 'op has no meaning in a comparison criterion: direction says which change counts');
  const declared = plan.metrics !== undefined && Object.prototype.hasOwnProperty.call(plan.metrics, criterion.metric);
  if (!declared && Object.prototype.hasOwnProperty.call(BUILT_IN_METRICS, criterion.metric)) {
    report([...path, 'metric'], `compare reads the samples of a metric, and the built-in "${criterion.metric}" is derived rather than sampled: declare a metric under metrics`);
  }
  if (compare.against === 'control' && compare.control === undefined) report(at, 'against: control needs control: a scope, e.g. { scope: { line: line-2 } }, or { wave: previous }');
  if (compare.against === 'baseline' && compare.control !== undefined) report([...at, 'control'], 'control is for against: control; a baseline is the stage\'s own scope before it started');
  if (compare.control !== undefined && 'wave' in compare.control && stage.forEach === undefined) {
    report([...at, 'control', 'wave'], 'wave: previous needs a per-site stage (forEach) whose earlier wave is the control');
  }
}
