import { parseDuration } from './duration';
import type { Plan, Prerequisite, Stage } from './schema';
import { forEachUnits, isTimeZone } from './sites';
import { didYouMean } from './suggest';

/**
 * The cross-field rules of per-site stages and steady-state governance, part of
 * checkSemantics (definitions/semantics.ts): site time zones, forEach scope and waves,
 * per-site prerequisites, wave and review sign-offs, and the steady-state durations.
 */

type Path = Array<string | number>;

export type SiteRuleContext = {
  report: (path: Path, text: string, at?: Path) => void;
  /** checkRole checks a role name; with sites, an unscoped role is checked as role@site for each of them. */
  checkRole: (path: Path, role: string, sites?: readonly string[]) => void;
  suggest: (word: string, candidates: readonly string[]) => string | undefined;
};

/** checkTimeZones reports each site whose time zone Intl does not know. */
export function checkTimeZones(plan: Plan, { report, suggest }: SiteRuleContext): void {
  for (const [name, site] of Object.entries(plan.sites ?? {})) {
    if (isTimeZone(site.timeZone)) continue;
    const hint = didYouMean(suggest(site.timeZone, Intl.supportedValuesOf('timeZone'))) || ': use an IANA time zone such as Europe/Berlin or America/Chicago';
    report(['sites', name, 'timeZone'], `unknown time zone "${site.timeZone}"${hint}`);
  }
}

/**
 * checkForEach: the scope lists the sites (or lines), once each; `rest` comes last; and no
 * wave is left without sites. A last numbered wave may be larger than what remains: it takes
 * what remains.
 */
export function checkForEach(stage: Stage, at: Path, { report, checkRole }: SiteRuleContext): void {
  const forEach = stage.forEach;
  if (forEach === undefined) return;
  const path: Path = [...at, 'forEach'];
  const { over } = forEach;
  const units = forEachUnits(stage) ?? [];
  if (units.length === 0) report([...path, 'over'], `forEach over ${over} needs the ${over} listed in scope.${over}`);
  units.forEach((unit, k) => {
    if (units.indexOf(unit) < k) report([...at, 'scope', over, k], `"${unit}" is listed twice; each of the ${over} runs once`);
  });
  let taken = 0;
  forEach.waves.forEach((wave, k) => {
    if (wave === 'rest') {
      if (k < forEach.waves.length - 1) report([...path, 'waves', k], 'rest must be the last wave');
      return;
    }
    if (units.length > 0 && taken >= units.length) {
      report([...path, 'waves', k], `the waves before this one take all ${units.length} ${over} of scope.${over}, so this wave would be empty`);
    }
    taken += wave;
  });
  forEach.waveApprovals?.forEach((approval, k) => checkRole([...path, 'waveApprovals', k, 'role'], approval.role));
  if (stage.steadyState !== undefined) {
    report(
      [...at, 'steadyState'],
      'a stage runs either per site (forEach) or in steady state, not both: put the steady-state governance in a stage of its own after this one',
    );
  }
}

/** checkSteadyState: known review and retraining roles, a horizon no shorter than a review cycle, reminders with a cadence. */
export function checkSteadyState(stage: Stage, at: Path, { report, checkRole }: SiteRuleContext): void {
  const steady = stage.steadyState;
  if (steady === undefined) return;
  const path: Path = [...at, 'steadyState'];
  steady.reviewBy?.forEach((approval, k) => checkRole([...path, 'reviewBy', k, 'role'], approval.role));
  if (steady.retrainingOwner !== undefined) checkRole([...path, 'retrainingOwner'], steady.retrainingOwner);
  const horizon = parseDuration(steady.horizon);
  const review = parseDuration(steady.reviewEvery);
  if (horizon !== undefined && review !== undefined && horizon < review) {
    report([...path, 'horizon'], `${steady.horizon} is shorter than reviewEvery ${steady.reviewEvery}: the lagging KPIs would be judged before the first review`);
  }
  if (steady.retrainingOwner !== undefined && steady.retrainEvery === undefined) {
    report([...path, 'retrainingOwner'], 'names who retrains, but without retrainEvery no retraining reminder is ever sent: add retrainEvery');
  }
}

/**
 * checkPerSitePrerequisite: a per-site prerequisite names, in `before`, a forEach stage; each
 * of its sites is signed off by signedBy@<site>. It checks signedBy of per-site prerequisites.
 */
export function checkPerSitePrerequisite(plan: Plan, prerequisite: Prerequisite, at: Path, { report, checkRole }: SiteRuleContext): void {
  const stage = plan.stages.find((candidate) => candidate.id === prerequisite.before);
  const units = stage === undefined ? undefined : forEachUnits(stage);
  checkRole([...at, 'signedBy'], prerequisite.signedBy, units);
  if (prerequisite.before === undefined) {
    report([...at, 'perSite'], 'a per-site prerequisite needs before: the forEach stage whose sites wait for it');
  } else if (stage !== undefined && units === undefined) {
    report([...at, 'before'], `stage "${stage.id}" does not run per site (it has no forEach), so a per-site prerequisite cannot gate its sites`);
  }
}
