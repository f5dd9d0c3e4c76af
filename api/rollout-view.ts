import type { z } from 'zod';
import type { PrerequisiteView, RolloutView, StageView } from '../contract/rollouts';
import type { PrerequisiteStatus, RolloutStatus, StageStatus } from '../policy/rollout-types';

/**
 * The one place where the workflow's status (policy/rollout-types.ts) becomes the public
 * model (contract/rollouts.ts). Fields are picked, never spread, so a field the workflow adds
 * for itself (counters, idempotency keys) stays out of the API until it is named here.
 */

type Extras = Pick<RolloutView, 'workflowId' | 'source' | 'notifications'> & Partial<Pick<RolloutView, 'state' | 'terminated' | 'stuck' | 'asOf'>>;

/** rolloutView is GET /v1/rollouts/:id: the status, with what the registry and Temporal add (extras win). */
export function rolloutView(status: RolloutStatus, extras: Extras): RolloutView {
  return {
    rolloutId: status.rolloutId,
    workflowId: extras.workflowId,
    plan: status.plan,
    version: status.version,
    digest: status.digest,
    state: extras.state ?? status.state,
    source: extras.source,
    asOf: extras.asOf,
    startedBy: status.startedBy,
    startedAt: status.startedAt,
    endedAt: status.endedAt,
    heldReason: status.heldReason,
    terminated: extras.terminated,
    stuck: extras.stuck,
    prerequisites: status.prerequisites.map(prerequisiteView),
    stages: status.stages.map(stageView),
    notifications: extras.notifications,
  };
}

/** stageView is one stage as the API shows it: the answer of a sign-off, an override or a resolution too. */
export function stageView(stage: StageStatus): StageView {
  return {
    id: stage.id,
    title: stage.title,
    mode: stage.mode,
    state: stage.state,
    dependsOn: stage.dependsOn,
    attempt: stage.attempt,
    startedAt: stage.startedAt,
    windowStartedAt: stage.windowStartedAt,
    endsNoEarlierThan: stage.endsNoEarlierThan,
    passedAt: stage.passedAt,
    required: stage.required.map(({ role, count }) => ({ role, count })),
    approvals: stage.approvals.map(signOffView),
    history: stage.history.map(signOffView),
    awaitingSince: stage.awaitingSince,
    escalatedTo: stage.escalatedTo,
    hold: stage.hold && { cause: stage.hold.cause, reason: stage.hold.reason, at: stage.hold.at },
    evaluation: stage.evaluation && {
      evaluatedAt: stage.evaluation.evaluatedAt,
      verdict: stage.evaluation.verdict,
      criteria: stage.evaluation.criteria.map((criterion) => ({
        metric: criterion.metric,
        verdict: criterion.verdict,
        reason: criterion.reason,
        value: criterion.value,
        op: criterion.op,
        threshold: criterion.threshold,
        samples: criterion.samples,
        window: criterion.window,
        baseline: criterion.baseline,
        baselineWindow: criterion.baselineWindow,
        index: criterion.index,
        consecutivePasses: criterion.consecutivePasses,
        ...(criterion.pulled ? { pulled: criterion.pulled } : {}),
        ...(criterion.comparison ? { comparison: criterion.comparison } : {}),
        ...(criterion.referenceWindow ? { referenceWindow: criterion.referenceWindow } : {}),
      })),
    },
    overrideAuthority: stage.overrideAuthority,
    overrides: stage.overrides.map(({ by, role, reason, at, recommendationId }) => ({ by, role, reason, at, recommendationId })),
    notBefore: stage.notBefore,
    sites: stage.sites?.map(({ site, wave, state, workflowId, attempt, startedAt, notBefore, heldReason, settledAt, reason }) => ({
      site,
      wave,
      state,
      workflowId,
      attempt,
      startedAt,
      notBefore,
      heldReason,
      settledAt,
      reason,
    })),
    waves: stage.waves?.map((wave) => ({ ...pickWave(wave), approvals: wave.approvals.map(signOffView) })),
    steadyState: stage.steadyState && {
      workflowId: stage.steadyState.workflowId,
      abandoned: stage.steadyState.abandoned,
      report: stage.steadyState.report,
      settled: stage.steadyState.settled,
      reason: stage.steadyState.reason,
    },
  };
}

export function prerequisiteView(prerequisite: PrerequisiteStatus): z.infer<typeof PrerequisiteView> {
  const { id, kind, title, before, signedBy, perSite, evidence, site, signed } = prerequisite;
  return { id, kind, title, before, signedBy, perSite, evidence, site, signed };
}

const signOffView = ({ decision, approver, role, comment, at }: StageStatus['approvals'][number]) => ({ decision, approver, role, comment, at });

const pickWave = ({ number, sites, state, expectedStart, expectedFinish, opensAt, startedAt, passedAt }: NonNullable<StageStatus['waves']>[number]) => ({
  number,
  sites,
  state,
  expectedStart,
  expectedFinish,
  opensAt,
  startedAt,
  passedAt,
});
