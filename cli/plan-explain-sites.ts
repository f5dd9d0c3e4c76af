import { formatDuration, parseDuration } from '../definitions/duration';
import type { Plan, Prerequisite, Stage, SteadyState } from '../definitions/schema';
import { stageSpanMs, waveDates } from '../definitions/schedule';
import { forEachUnits, siteRole, stageWaves } from '../definitions/sites';
import { MIN_STEP_MS, reviewDueAt } from '../policy/steady-state-calendar';
import { formatInstant, membersText, plural, unitNoun, wavesText, windowText } from './plan-words';

/**
 * `rollgate explain` for per-site stages (waves with their dates, sign-off at each site,
 * execution windows) and steady-state stages (review calendar, retraining, horizon). Pure.
 */

export type Facts = Array<[string, string[]]>;

/** spanText: `10d`; for a per-site stage `2 waves, 4w6d`; for a steady-state stage whose horizon is later, `to its horizon, 78w`. */
export function spanText(stage: Stage): string {
  const spanMs = stageSpanMs(stage);
  const waves = stageWaves(stage);
  if (waves !== undefined) return `${plural(waves.length, 'wave')}, ${formatDuration(spanMs)}`;
  return spanMs === parseDuration(stage.minDuration) ? stage.minDuration : `to its horizon, ${formatDuration(spanMs)}`;
}

const siteFailureText = { halt: 'start no new ones', 'rollback-site': 'roll back that one only', 'abort-all': 'abort them all' } as const;

/** ForEachFacts are the lines of a per-site stage's facts; a fact without lines is left out. */
export type ForEachFacts = { waves: string[]; waveSignOff: string[]; signOff: string[]; windows: string[] };

/**
 * forEachFacts: the waves with their earliest dates, the wave sign-off, sign-off at each site
 * and the execution windows; undefined for a stage without forEach.
 */
export function forEachFacts(plan: Plan, stage: Stage, startMs: number): ForEachFacts | undefined {
  const forEach = stage.forEach;
  if (forEach === undefined) return undefined;
  const noun = unitNoun(forEach);
  const waves = waveDates(stage, startMs).map(
    ({ sites, startMs: from, finishMs }, k) => `wave ${k + 1}: ${sites.join(', ')}; earliest ${formatInstant(new Date(from))} → ${formatInstant(new Date(finishMs))}`,
  );
  const approvals = forEach.waveApprovals ?? stage.approvals;
  const whose = forEach.waveApprovals === undefined ? " (the stage's approvals)" : '';
  const waveSignOff = [`before each wave after the first${whose}:`, ...approvals.map(({ role, count }) => `  ${count} × ${role}${membersText(plan, role)}`)];
  return {
    waves: [`${wavesText(forEach)}; a failing ${noun}: ${siteFailureText[forEach.onSiteFailure]}`, ...waves],
    waveSignOff: waves.length > 1 ? waveSignOff : [],
    signOff: [`at each ${noun}, by distinct people:`, ...perSiteLines(plan, stage)],
    windows: forEach.over === 'sites' ? windowLines(plan, forEachUnits(stage) ?? []) : [],
  };
}

/** perSiteLines: each site's sign-off roles, scoped to it, with their members. */
function perSiteLines(plan: Plan, stage: Stage): string[] {
  const sites = forEachUnits(stage) ?? [];
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
  const sites = stage === undefined ? [] : (forEachUnits(stage) ?? []);
  return [
    `before each ${stage?.forEach === undefined ? 'site' : unitNoun(stage.forEach)} of ${prerequisite.before}, signed there by:`,
    ...sites.map((site) => `  ${site}: ${siteRole(prerequisite.signedBy, site)}${membersText(plan, siteRole(prerequisite.signedBy, site))}`),
  ];
}

/** How many review dates the calendar lists before it says how many follow. */
const LISTED_REVIEWS = 3;

/** steadyStateFacts: the review calendar, retraining reminders and the horizon of the lagging KPIs. */
export function steadyStateFacts(plan: Plan, stage: Stage, startMs: number): Facts {
  const steady = stage.steadyState;
  if (steady === undefined) return [];
  const horizonMs = parseDuration(steady.horizon) ?? 0;
  const reviewEveryMs = parseDuration(steady.reviewEvery) ?? horizonMs;
  // Reviews due before the horizon always open; one due at the horizon only if its verdict is inconclusive.
  // A cycle shorter than MIN_STEP_MS counts as that long, as in the engine, so that 0s cannot list endless reviews.
  const reviews = Math.max(0, Math.ceil(horizonMs / Math.max(MIN_STEP_MS, reviewEveryMs)) - 1);
  const dates = Array.from({ length: Math.min(reviews, LISTED_REVIEWS) }, (_, k) => formatInstant(new Date(reviewDueAt(startMs, reviewEveryMs, k + 1))));
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
