import { dataQualityCheck } from './data-quality';
import { urlRefusal, type WebhookAllowList } from '../config/webhook-allow';
import { parseDuration } from './duration';
import { prefix } from './format-path';
import { stageReach } from './graph';
import type { PlanProblem } from './problem';
import type { Plan, Stage } from './schema';

/**
 * Lint rules: known mistakes in rollout plans that are not wrong enough to reject the plan.
 * Each finding is a warning; a stage switches a rule off with `lint.ignore: [{ rule, reason }]`.
 *
 * Most rules point at one stage and are switched off on that stage. Two look at the plan as a
 * whole and are reported once: `production-without-integration-debt-assessment` points at the
 * first supervised or autonomous stage (in plan order) that no assessment precedes, and is
 * switched off on that stage; `unwatched-guardrail` points at the metric in the catalog and is
 * switched off on the plan's first stage, stages[0]; so is `webhook-target-refused`, which points
 * at a notification URL that the target policy (config/webhook-allow.ts) refuses. The API judges
 * it with its own ROLLGATE_WEBHOOK_ALLOW; a worker elsewhere may allow more, which is when a plan
 * switches the rule off. Switching it off changes nothing for the worker.
 *
 * The rule ids are a contract: plans name them in suppressions. Pure: no I/O.
 */
export const LINT_RULES = {
  'shadow-too-short': 'A shadow stage runs for less than 4 weeks; operators need 4 to 6 weeks of visible recommendations before they trust them.',
  'skipped-sequence': 'A phased or multi-site stage follows a pilot stage directly, skipping the shadow and supervised stages.',
  'no-exit-criterion': 'A stage has no exit criteria, so only its duration and the sign-off decide when it passes.',
  'lagging-window-too-short': 'A criterion judges a lagging metric over a window shorter than 12 months (365d).',
  'lagging-horizon-too-short': 'A steady-state stage judges a lagging metric but its horizon is shorter than 12 months (52w).',
  'irreversible-without-threshold':
    'Irreversible decisions without a confidence threshold, or a supervised or autonomous logistics stage without a deferral policy.',
  'production-without-integration-debt-assessment': 'A supervised or autonomous stage is not preceded by an integration-debt-assessment prerequisite.',
  'unwatched-guardrail': "A guardrail metric of the catalog is not referenced by any stage's criteria.",
  'repeated-threshold-looks':
    'A threshold or baseline criterion on a guardrail metric is evaluated 100 times or more over the stage: each look is a fresh chance for noise to fail it; a sequential compare criterion stays valid however often it looks. Pulled metrics are left out: compare reads reported samples.',
  'min-samples-too-small':
    'A criterion on a guardrail metric whose window spans 24 evaluations or more has no minSamples, or fewer than 10, so a handful of readings can decide it (a compare criterion needs 10 to estimate a variance at all). Data-quality criteria are left out.',
  'compare-without-margin':
    'A must-not-degrade comparison criterion has minEffect 0% (the default): it passes only once the metric is shown to be no worse at all, which no change ever shows, so an unchanged metric keeps it inconclusive until maxDuration holds the stage. Give the smallest change that matters.',
  'webhook-target-refused':
    'A notification URL names a loopback, private, link-local or other internal address (or localhost) that ROLLGATE_WEBHOOK_ALLOW does not allow; a worker with the same setting will not post there.',
  'untracked-label-version':
    'The plan declares a label-sensitive metric, but a shadow stage has no labelDrift criterion, so outcomes labelled under a changed definition go unnoticed.',
  'unwatched-feed':
    'A stage judges a feed (a metric pulled from a provider, or one with a cadence) without a freshness criterion on it, so a feed that went quiet could still pass on old data.',
} as const;

/** LintOptions: what the rules need to know besides the plan. */
export type LintOptions = {
  /** webhookAllow is ROLLGATE_WEBHOOK_ALLOW as the API (or the CLI) reads it; default none. */
  webhookAllow?: WebhookAllowList;
};

export type LintRuleId = keyof typeof LINT_RULES;

/** LintWarning is a lint finding; its message ends with the rule id in brackets. */
export type LintWarning = PlanProblem & { rule: LintRuleId };

/** Operators need four to six weeks of shadow operation; four is the least. */
const MIN_SHADOW_MS = 28 * 86_400_000;
/** Lagging indicators take twelve to eighteen months to move; twelve is the least. */
const MIN_LAGGING_WINDOW_MS = 365 * 86_400_000;
/** A steady-state horizon judges lagging metrics; it needs at least twelve months too, counted in weeks. */
const MIN_LAGGING_HORIZON_MS = 52 * 7 * 86_400_000;

/** REPEATED_LOOKS is how many evaluations of a fixed-sample criterion over a stage's minDuration make false alarms likely. */
const REPEATED_LOOKS = 100;
/** WIDE_WINDOW_LOOKS: a window this many evaluation intervals long should never be decided by a handful of readings. */
const WIDE_WINDOW_LOOKS = 24;
/** MIN_SAMPLES_FLOOR is the least minSamples the rule accepts for such a window (and for any compare criterion). */
const MIN_SAMPLES_FLOOR = 10;

/** isLintRule tells whether `id` names a lint rule. */
export function isLintRule(id: string): id is LintRuleId {
  return Object.prototype.hasOwnProperty.call(LINT_RULES, id);
}

/**
 * lintPlan returns the warnings for a plan that passed the schema, in plan order of the rules'
 * findings (the loader sorts them by position). Rules switched off where they point are left out.
 */
export function lintPlan(plan: Plan, options: LintOptions = {}): LintWarning[] {
  const warnings: LintWarning[] = [];
  const stageById = new Map<string, Stage>();
  for (const stage of plan.stages) if (!stageById.has(stage.id)) stageById.set(stage.id, stage);

  plan.stages.forEach((stage, i) => {
    const at: Array<string | number> = ['stages', i];
    const add = (rule: LintRuleId, path: Array<string | number>, text: string): void => {
      if (!ignores(stage, rule)) warnings.push(warning(rule, path, text));
    };

    const minDuration = parseDuration(stage.minDuration) ?? 0;
    if (stage.mode === 'shadow' && minDuration < MIN_SHADOW_MS) {
      add(
        'shadow-too-short',
        [...at, 'minDuration'],
        `shadow stage "${stage.id}" runs at least ${stage.minDuration}; give operators 4 to 6 weeks of visible recommendations before they are asked to act on them`,
      );
    }

    if (isWide(stage)) {
      const j = stage.dependsOn.findIndex((dep) => stageById.get(dep)?.mode === 'pilot');
      const pilot = stage.dependsOn[j];
      if (pilot !== undefined) {
        add(
          'skipped-sequence',
          [...at, 'dependsOn', j],
          `stage "${stage.id}" reaches several sites or lines straight after pilot stage "${pilot}"; run shadow and supervised stages in between`,
        );
      }
    }

    if (stage.criteria.length === 0) {
      add('no-exit-criterion', at, `stage "${stage.id}" has no exit criteria, so only its duration and the sign-off decide when it passes`);
    }

    const interval = parseDuration(stage.evaluationInterval) ?? 0;
    stage.criteria.forEach((criterion, j) => {
      const metric = plan.metrics?.[criterion.metric];
      const window = parseDuration(criterion.window) ?? 0;
      const looks = interval > 0 ? Math.floor(minDuration / interval) : 0;
      // A data-quality criterion judges the feed, not the metric's value: neither rule below applies.
      if (dataQualityCheck(criterion) !== undefined) return;
      // Guardrails only: a false alarm there rolls the stage back. Steady-state stages judge at
      // their horizon. A pulled metric is left out: compare reads reported samples, so the advice
      // could not be followed.
      if (criterion.compare === undefined && metric?.guardrail === true && metric.source === undefined && stage.steadyState === undefined && looks >= REPEATED_LOOKS) {
        add(
          'repeated-threshold-looks',
          [...at, 'criteria', j],
          `"${criterion.metric}" is judged against a fixed limit every ${stage.evaluationInterval}, ${looks} times over the stage's ${stage.minDuration}; noise alone will fail such a check sooner or later, so judge it with compare (test: sequential), which stays valid however often it looks`,
        );
      }
      const minSamples = criterion.minSamples ?? 1;
      const wide = interval > 0 && window >= WIDE_WINDOW_LOOKS * interval && metric?.guardrail === true;
      if ((wide || criterion.compare !== undefined) && minSamples < MIN_SAMPLES_FLOOR) {
        add(
          'min-samples-too-small',
          [...at, 'criteria', j, ...(minSamples === 1 ? [] : ['minSamples'])],
          `${minSamples === 1 ? 'no minSamples' : `minSamples ${minSamples}`} for "${criterion.metric}" over a ${criterion.window} window${wide ? ` evaluated every ${stage.evaluationInterval}` : ''}: ${minSamples === 1 ? 'one reading' : 'a handful of readings'} can decide it; ask for at least ${MIN_SAMPLES_FLOOR}, e.g. as many as the window holds in a normal week`,
        );
      }
      if (criterion.compare?.direction === 'must-not-degrade' && Number(criterion.compare.minEffect.slice(0, -1)) === 0) {
        add(
          'compare-without-margin',
          [...at, 'criteria', j, 'compare'],
          `"${criterion.metric}" must not degrade with no margin (minEffect 0%): with the metric unchanged the test can never show "no worse at all", so the criterion stays inconclusive; give the smallest change that matters, e.g. minEffect: 2%`,
        );
      }
      if (metric?.kind === 'lagging' && window < MIN_LAGGING_WINDOW_MS) {
        add(
          'lagging-window-too-short',
          [...at, 'criteria', j, 'window'],
          `"${criterion.metric}" is a lagging metric and ${criterion.window} is too short to show an effect on it; judge it over 12 months (365d) or more`,
        );
      }
    });

    const fresh = new Set(stage.criteria.filter((criterion) => criterion.freshness !== undefined).map((criterion) => criterion.metric));
    const feeds = new Set<string>();
    stage.criteria.forEach((criterion, j) => {
      const metric = Object.prototype.hasOwnProperty.call(plan.metrics ?? {}, criterion.metric) ? plan.metrics![criterion.metric] : undefined;
      if (!metric || (metric.source === undefined && metric.cadence === undefined) || fresh.has(criterion.metric) || feeds.has(criterion.metric)) return;
      feeds.add(criterion.metric);
      const what = metric.source ? `pulled from provider "${metric.source.provider}"` : `expected every ${metric.cadence}`;
      add(
        'unwatched-feed',
        [...at, 'criteria', j],
        `"${criterion.metric}" is a feed (${what}) and stage "${stage.id}" has no freshness criterion on it; add { metric: ${criterion.metric}, freshness: <max age>, window: <window> } so that a quiet feed cannot pass`,
      );
    });

    const labelSensitive = Object.entries(plan.metrics ?? {}).find(([, metric]) => metric.labelSensitive === true)?.[0];
    if (stage.mode === 'shadow' && labelSensitive !== undefined && !stage.criteria.some((criterion) => criterion.labelDrift !== undefined)) {
      add(
        'untracked-label-version',
        at,
        `metric "${labelSensitive}" is label-sensitive and shadow stage "${stage.id}" does not track label versions; add a criterion with labelDrift: { trainedOn: <version>, maxShare: <share> } and send labelVersion with outcomes`,
      );
    }

    const lagging = stage.criteria.find((criterion) => plan.metrics?.[criterion.metric]?.kind === 'lagging');
    if (stage.steadyState !== undefined && lagging !== undefined && (parseDuration(stage.steadyState.horizon) ?? 0) < MIN_LAGGING_HORIZON_MS) {
      add(
        'lagging-horizon-too-short',
        [...at, 'steadyState', 'horizon'],
        `"${lagging.metric}" is a lagging metric and a horizon of ${stage.steadyState.horizon} judges it too early; set a horizon of 12 to 18 months (52w to 78w)`,
      );
    }

    if (stage.deferral?.irreversible && stage.deferral.confidenceThreshold === undefined) {
      add(
        'irreversible-without-threshold',
        [...at, 'deferral'],
        'irreversible decisions need a confidenceThreshold below which the model defers to a human',
      );
    } else if (plan.environment === 'logistics' && isProduction(stage) && stage.deferral === undefined) {
      add(
        'irreversible-without-threshold',
        at,
        `${stage.mode} logistics stage "${stage.id}" has no deferral: a decision cannot be undone once the truck has left, so set a confidenceThreshold below which the model defers to a human`,
      );
    }
  });

  const unassessed = firstUnassessed(plan);
  if (unassessed !== undefined) {
    const stage = plan.stages[unassessed]!;
    if (!ignores(stage, 'production-without-integration-debt-assessment')) {
      warnings.push(
        warning(
          'production-without-integration-debt-assessment',
          ['stages', unassessed],
          `${stage.mode} stage "${stage.id}" is not preceded by an integration-debt-assessment prerequisite; assess the integration debt of the target environment before production use`,
        ),
      );
    }
  }

  const watched = new Set(plan.stages.flatMap((stage) => stage.criteria.map((criterion) => criterion.metric)));
  const first = plan.stages[0];
  for (const [name, metric] of Object.entries(plan.metrics ?? {})) {
    if (!metric.guardrail || watched.has(name) || (first && ignores(first, 'unwatched-guardrail'))) continue;
    warnings.push({
      ...warning(
        'unwatched-guardrail',
        ['metrics', name],
        `guardrail metric "${name}" is not watched by any stage; add a criterion on it so that it cannot get worse unnoticed`,
      ),
      atKey: true,
    });
  }

  // Only what the URL itself says is judged here (addresses, localhost): names are resolved by the worker, at connect time.
  plan.notifications.forEach((target, k) => {
    if (first && ignores(first, 'webhook-target-refused')) return;
    const refusal = urlRefusal(target.url, options.webhookAllow ?? []);
    if (refusal !== undefined) warnings.push(warning('webhook-target-refused', ['notifications', k, 'url'], `${refusal}; a worker with the same ROLLGATE_WEBHOOK_ALLOW will not post events there`));
  });
  return warnings;
}

function warning(rule: LintRuleId, path: Array<string | number>, text: string): LintWarning {
  return { rule, path, message: `${prefix(path)}${text} [${rule}]` };
}

function ignores(stage: Stage, rule: LintRuleId): boolean {
  return stage.lint?.ignore.some((suppression) => suppression.rule === rule) ?? false;
}

/** isWide: a stage run per site or line, or over several sites or lines at once. */
function isWide(stage: Stage): boolean {
  return stage.forEach !== undefined || (stage.scope?.sites?.length ?? 0) > 1 || (stage.scope?.lines?.length ?? 0) > 1;
}

function isProduction(stage: Stage): boolean {
  return stage.mode === 'supervised' || stage.mode === 'autonomous';
}

/**
 * firstUnassessed is the index of the first supervised or autonomous stage that no
 * integration-debt-assessment prerequisite precedes: one without `before` precedes every
 * stage, one with `before` that stage and everything downstream of it.
 */
function firstUnassessed(plan: Plan): number | undefined {
  const assessments = plan.prerequisites.filter((prerequisite) => prerequisite.kind === 'integration-debt-assessment');
  if (assessments.some((assessment) => assessment.before === undefined)) return undefined;
  const covered = new Set<string>();
  const reach = stageReach(plan.stages);
  for (const { before } of assessments) {
    if (before === undefined || covered.has(before)) continue;
    covered.add(before);
    for (const id of reach.downstream(before)) covered.add(id);
  }
  const index = plan.stages.findIndex((stage) => isProduction(stage) && !covered.has(stage.id));
  return index < 0 ? undefined : index;
}
