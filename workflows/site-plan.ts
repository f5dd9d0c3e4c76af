import { earliestStarts, waveDates } from '../definitions/schedule';
import type { Plan, Stage } from '../definitions/schema';
import { forEachUnits, siteRole } from '../definitions/sites';
import { iso } from '../policy/clock';
import type { PrerequisiteStatus, SiteStatus, StageStatus } from '../policy/rollout-types';

/**
 * Pure helpers that turn one site of a forEach stage into the one-stage plan its child
 * workflow runs. Deterministic: used inside workflow code.
 */

/**
 * siteWorkflowId names a site's child workflow. `/` and `@` cannot occur in rollout ids, so a
 * child id never equals a rollout's workflow id. A retried site gets `#<site attempt>`; a site of
 * a stage entered again (after a rollback) `#<stage attempt>.<site attempt>`, so no two runs share
 * an id, nor the event, delivery and evaluation ids derived from it.
 */
export const siteWorkflowId = (parentWorkflowId: string, stageId: string, site: string, stageAttempt: number, siteAttempt: number): string => {
  const suffix = stageAttempt > 1 ? `#${stageAttempt}.${siteAttempt}` : siteAttempt > 1 ? `#${siteAttempt}` : '';
  return `${parentWorkflowId}/${stageId}@${site}${suffix}`;
};

/** comparesWithPreviousWave tells whether a stage has a comparison criterion with `control: { wave: previous }`. */
export function comparesWithPreviousWave(stage: Pick<Stage, 'criteria'>): boolean {
  return stage.criteria.some((criterion) => criterion.compare?.control !== undefined && 'wave' in criterion.compare.control);
}

/**
 * previousWaveSites are the sites of the wave before wave `wave` (numbered from 1) of a forEach
 * stage: the control group of a site's `control: { wave: previous }` comparisons; none in the first wave.
 */
export function previousWaveSites(waves: ReadonlyArray<{ sites: readonly string[] }>, wave: number): string[] {
  return wave >= 2 ? [...(waves[wave - 2]?.sites ?? [])] : [];
}

/** sitePrerequisiteId names the per-site instance of a perSite prerequisite. */
export const sitePrerequisiteId = (prerequisiteId: string, site: string): string => `${prerequisiteId}@${site}`;

/**
 * sitePlan is the plan a site's child runs: the forEach stage alone, scoped to the site, with
 * its approvals, escalation roles and override authority scoped to the site's roles (which fall
 * back to the base role when the plan does not map the site), and onFailure abort: a failing
 * site ends its child, and the parent applies onSiteFailure. Prerequisites stay with the parent.
 */
export function sitePlan(plan: Plan, stageId: string, site: string): Plan {
  const stage = plan.stages.find((candidate) => candidate.id === stageId)!;
  const { forEach, ...rest } = stage;
  const siteStage: Stage = {
    ...rest,
    dependsOn: [],
    approvals: stage.approvals.map((approval) => ({ ...approval, role: siteRole(approval.role, site) })),
    escalation: stage.escalation.map((step) => (step.action === 'escalate' ? { ...step, to: siteRole(step.to, site) } : step)),
    ...(stage.overrideAuthority ? { overrideAuthority: siteRole(stage.overrideAuthority, site) } : {}),
    onFailure: 'abort',
    scope: { ...stage.scope, [forEach?.over ?? 'sites']: [site] },
  };
  return { ...plan, prerequisites: [], stages: [siteStage] };
}

/**
 * rolloutPrerequisites are the prerequisites a rollout tracks: the plan's, with every perSite
 * one replaced by one instance per site of its stage, signed by the site's role.
 */
export function rolloutPrerequisites(plan: Plan): PrerequisiteStatus[] {
  return plan.prerequisites.flatMap((prerequisite): PrerequisiteStatus[] => {
    const stage = prerequisite.perSite ? plan.stages.find((candidate) => candidate.id === prerequisite.before) : undefined;
    const sites = stage === undefined ? undefined : forEachUnits(stage);
    if (sites === undefined) return [{ ...prerequisite }];
    return sites.map((site) => ({
      ...prerequisite,
      id: sitePrerequisiteId(prerequisite.id, site),
      signedBy: siteRole(prerequisite.signedBy, site),
      site,
    }));
  });
}

/**
 * planSiteStage lays out a forEach stage's sites and waves with the waves' earliest dates when
 * the stage starts at startMs. A rollout shows it from its start (dated from the stage's
 * earliest start, see plannedSiteStages) and lays it out again when the stage really starts.
 */
export function planSiteStage(stage: Stage, startMs: number): Required<Pick<StageStatus, 'sites' | 'waves'>> {
  const dates = waveDates(stage, startMs);
  return {
    sites: dates.flatMap((wave, k) => wave.sites.map((site): SiteStatus => ({ site, wave: k + 1, state: 'pending', attempt: 0 }))),
    waves: dates.map((wave, k) => ({
      number: k + 1,
      sites: wave.sites,
      state: 'pending',
      expectedStart: iso(wave.startMs),
      expectedFinish: iso(wave.finishMs),
      approvals: [],
    })),
  };
}

/** plannedSiteStages: the wave plan of every forEach stage of a rollout starting at startMs, by stage id. */
export function plannedSiteStages(plan: Plan, startMs: number): Map<string, ReturnType<typeof planSiteStage>> {
  const { start } = earliestStarts(plan.stages);
  return new Map(plan.stages.filter((stage) => stage.forEach).map((stage) => [stage.id, planSiteStage(stage, startMs + start.get(stage.id)!)]));
}
