import { parseDuration } from '../definitions/duration';
import type { Plan, Prerequisite, Stage, SteadyState } from '../definitions/schema';
import { stageSpanMs, waveDates } from '../definitions/schedule';
import { siteRole, stageWaves } from '../definitions/sites';
import { formatInstant, membersText, plural, unitNoun, wavesText, windowText } from './plan-words';

/**
 * `rollgate explain` for per-site stages (waves with their dates, sign-off at each site,
 * execution windows) and steady-state stages (review calendar, retraining, horizon). Pure.
 */

export type Facts = Array<[string, string[]]>;

/** spanText: `10d`; for a per-site stage `2 waves, 4w6d`; for a steady-state stage whose horizon is later, `to its horizon, 78w`. */
export function spanText(stage: Stage, format: (ms: number) => string): string {
  const waves = stageWaves(stage);
  if (waves !== undefined) return `${plural(waves.length, 'wave')}, ${format(stageSpanMs(stage))}`;
  return stageSpanMs(stage) === parseDuration(stage.minDuration) ? stage.minDuration : `to its horizon, ${format(stageSpanMs(stage))}`;
}

const siteFailureText = { halt: 'start no new ones', 'rollback-site': 'roll back that one only', 'abort-all': 'abort them all' } as const;

/** forEachFacts: the waves with their earliest dates, the wave sign-off, sign-off at each site and the execution windows. */
export function forEachFacts(plan: Plan, stage: Stage, startMs: number): Facts {
  const forEach = stage.forEach;
  if (forEach === undefined) return [];
  const noun = unitNoun(forEach);
  const facts: Facts = [];
  const waves = waveDates(stage, startMs).map(
    ({ sites, startMs: from, finishMs }, k) => `wave ${k + 1}: ${sites.join(', ')}; earliest ${formatInstant(new Date(from))} → ${formatInstant(new Date(finishMs))}`,
  );
  facts.push(['waves', [`${wavesText(forEach)}; a failing ${noun}: ${siteFailureText[forEach.onSiteFailure]}`, ...waves]]);
  if (waves.length > 1) {
    const approvals = forEach.waveApprovals ?? stage.approvals;
    const whose = forEach.waveApprovals === undefined ? " (the stage's approvals)" : '';
    facts.push(['wave sign-off', [`before each wave after the first${whose}:`, ...approvals.map(({ role, count }) => `  ${count} × ${role}${membersText(plan, role)}`)]]);
  }
  facts.push(['sign-off', [`at each ${noun}, by distinct people:`, ...perSiteLines(plan, stage)]]);
  if (forEach.over === 'sites') facts.push(['windows', windowLines(plan, stage.scope?.sites ?? [])]);
  return facts;
}

/** perSiteLines: each site's sign-off roles, scoped to it, with their members. */
function perSiteLines(plan: Plan, stage: Stage): string[] {
  const sites = stageWaves(stage)?.flat() ?? [];
  const width = Math.max(0, ...sites.map((site) => site.length));
  return sites.flatMap((site) =>
    stage.approvals.map(({ role, count }, k) => {
      const head = k === 0 ? `${site}:`.padEnd(width + 2) : ''.padEnd(width + 2);
      const scoped = siteRole(role, site);
      return `  ${head}${count} × ${scoped}${membersText(plan, scoped)}`;
    }),
  );
}

/** windowLines: when work may start at each site, in its own time zone. */
function windowLines(plan: Plan, sites: readonly string[]): string[] {
  if (plan.sites === undefined) return ['any time: the plan has no sites catalog'];
  return sites.map((name) => {
    const site = plan.sites?.[name];
    if (site === undefined) return `${name}: any time (not in the sites catalog)`;
    const windows = site.executionWindows.map(windowText);
    return `${name} (${site.timeZone}): ${windows.length === 0 ? 'any time' : windows.join('; ')}`;
  });
}

/** perSitePrerequisiteLines: the sign-off a per-site prerequisite needs at each site of its stage. */
export function perSitePrerequisiteLines(plan: Plan, prerequisite: Prerequisite): string[] {
  const stage = plan.stages.find((candidate) => candidate.id === prerequisite.before);
  const sites = stage === undefined ? [] : (stageWaves(stage)?.flat() ?? []);
  return [
    `before each ${stage?.forEach === undefined ? 'site' : unitNoun(stage.forEach)} of ${prerequisite.before}, signed there by:`,
    ...sites.map((site) => `  ${site}: ${siteRole(prerequisite.signedBy, site)}${membersText(plan, siteRole(prerequisite.signedBy, site))}`),
  ];
}

/** A review cycle shorter than this counts as this long, as in the engine, so that 0s cannot list endless reviews. */
const MIN_REVIEW_STEP_MS = 1_000;

/** How many review dates the calendar lists before it says how many follow. */
const LISTED_REVIEWS = 3;

/** steadyStateFacts: the review calendar, retraining reminders and the horizon of the lagging KPIs. */
export function steadyStateFacts(plan: Plan, stage: Stage, startMs: number): Facts {
  const steady = stage.steadyState;
  if (steady === undefined) return [];
  const horizonMs = parseDuration(steady.horizon) ?? 0;
  const reviewMs = Math.max(MIN_REVIEW_STEP_MS, parseDuration(steady.reviewEvery) ?? horizonMs);
  // Reviews due before the horizon always open; one due at the horizon only if its verdict is inconclusive.
  const reviews = Math.max(0, Math.ceil(horizonMs / reviewMs) - 1);
  const dates = Array.from({ length: Math.min(reviews, LISTED_REVIEWS) }, (_, k) => formatInstant(new Date(startMs + (k + 1) * reviewMs)));
  const facts: Facts = [];
  facts.push([
    'reviews',
    [
      `every ${steady.reviewEvery}: ${dates.join(', ')}${reviews > LISTED_REVIEWS ? ', …' : ''} (${plural(reviews, 'review')} before the horizon), signed off by`,
      ...(steady.reviewBy ?? stage.approvals).map(({ role, count }) => `  ${count} × ${role}${membersText(plan, role)}`),
    ],
  ]);
  if (steady.retrainEvery !== undefined) facts.push(['retraining', [retrainingText(plan, steady, startMs)]]);
  facts.push(['horizon', [horizonText(plan, stage, steady, startMs + horizonMs)]]);
  return facts;
}

function retrainingText(plan: Plan, steady: SteadyState, startMs: number): string {
  const due = formatInstant(new Date(startMs + (parseDuration(steady.retrainEvery ?? '') ?? 0)));
  const owner = steady.retrainingOwner === undefined ? '' : `, reminding ${steady.retrainingOwner}${membersText(plan, steady.retrainingOwner)}`;
  return `every ${steady.retrainEvery}, first due ${due}${owner}`;
}

function horizonText(plan: Plan, stage: Stage, steady: SteadyState, judgedMs: number): string {
  const lagging = [...new Set(stage.criteria.map((c) => c.metric).filter((metric) => plan.metrics?.[metric]?.kind === 'lagging'))];
  const what = lagging.length === 0 ? 'lagging KPIs' : lagging.join(', ');
  return `${steady.horizon}: ${what} judged from ${formatInstant(new Date(judgedMs))}; until then the verdict is too-early`;
}
