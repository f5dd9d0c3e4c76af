import type { Plan, Stage } from '../definitions/schema';
import type { StageEvaluation } from './criteria';
import { holdsRole, quorumRole, SignOffRejection, type SignOffContext } from './sign-off';
import type { ModelVersionChange, Review, ReviewSignOff, ReviewVerdict, SteadyStateStatus } from './steady-state-types';

/**
 * Steady-state rules, pure: who may sign a review or record a model version, and how an
 * evaluation reads in a review. Sign-off authority is that of stage sign-off (sign-off.ts).
 */

/** SteadyStateRejection: refusals of the steady-state updates besides the SignOffRejection ones. */
export const SteadyStateRejection = {
  unknownReview: 'UnknownReview',
  settled: 'SteadyStateSettled',
  versionUnchanged: 'ModelVersionUnchanged',
} as const;

export interface SteadyStateRefusal {
  type: string;
  message: string;
}

const reviewLabel = (status: SteadyStateStatus, number: number) => `review ${number} of stage ${status.stageId}`;

/** settledRefusal refuses every change once the stage has settled. */
function settledRefusal(status: SteadyStateStatus): SteadyStateRefusal | undefined {
  if (status.state === 'running') return undefined;
  return { type: SteadyStateRejection.settled, message: `the steady-state stage ${status.stageId} has settled (${status.state})` };
}

/**
 * reviewSignOffRole returns the role a review sign-off counts toward, or why it is refused:
 * no such review yet, a settled stage, or the sign-off rules of quorumRole.
 */
export function reviewSignOffRole(context: SignOffContext, status: SteadyStateStatus, request: ReviewSignOff): string | SteadyStateRefusal {
  const review = status.reviews.find((entry) => entry.number === request.number);
  if (!review) {
    const opened = status.reviews.length === 0 ? 'none has opened yet' : `reviews 1 to ${status.reviews.length} have opened`;
    return { type: SteadyStateRejection.unknownReview, message: `stage ${status.stageId} has no review ${request.number}: ${opened}` };
  }
  const settled = settledRefusal(status);
  if (settled) return settled;
  return quorumRole(context, { label: reviewLabel(status, review.number), required: review.required, approvals: review.signOffs }, request.actor, request.role);
}

/** modelVersionRoles are the roles that record model versions: retrainingOwner and the stage's approval roles. */
function modelVersionRoles(stage: Stage): string[] {
  const owner = stage.steadyState?.retrainingOwner;
  return [...new Set([...(owner ? [owner] : []), ...stage.approvals.map((approval) => approval.role)])];
}

/** modelVersionRole returns the role a model-version change is recorded under, or why it is refused. */
export function modelVersionRole(
  roles: Plan['roles'],
  stage: Stage,
  status: SteadyStateStatus,
  request: Pick<ModelVersionChange, 'version' | 'actor'>,
): string | SteadyStateRefusal {
  const candidates = modelVersionRoles(stage);
  const role = candidates.find((candidate) => holdsRole(roles, request.actor, candidate));
  if (role === undefined) {
    return {
      type: SignOffRejection.notAuthorized,
      message: `${request.actor.name} holds none of the roles that record model versions of stage ${stage.id}: ${candidates.join(', ')}`,
    };
  }
  const settled = settledRefusal(status);
  if (settled) return settled;
  const current = status.modelVersions.at(-1)?.version;
  if (current === request.version) {
    return { type: SteadyStateRejection.versionUnchanged, message: `${request.version} is already the model version of stage ${stage.id}` };
  }
  return role;
}

/** isLagging says whether the catalog declares metric a lagging one. */
function isLagging(metric: string, catalog: Plan['metrics']): boolean {
  const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric) ? catalog[metric] : undefined;
  return declared?.kind === 'lagging';
}

/**
 * reviewVerdicts shows an evaluation in a review. Before the horizon a lagging metric's
 * verdict is too-early whatever its value (shown still), so it never fails a review early.
 */
export function reviewVerdicts(evaluation: StageEvaluation, catalog: Plan['metrics'], beforeHorizon: boolean, horizonAt: string): ReviewVerdict[] {
  return evaluation.criteria.map((criterion) => {
    const lagging = isLagging(criterion.metric, catalog);
    const early = lagging && beforeHorizon;
    return {
      metric: criterion.metric,
      kind: lagging ? 'lagging' : 'leading',
      verdict: early ? 'too-early' : criterion.verdict,
      reason: early ? `a lagging metric, judged from the horizon ${horizonAt} on; now ${criterion.reason}` : criterion.reason,
      value: criterion.value,
      threshold: criterion.threshold,
      samples: criterion.samples,
    };
  });
}

/** openReviews are the reviews still waiting for sign-off, overdue ones included. */
export const openReviews = (status: SteadyStateStatus): Review[] => status.reviews.filter((review) => review.signedAt === undefined);

/** progressDetail is the summary the parent rollout shows for the stage (ChildProgress.detail). */
export function progressDetail(status: SteadyStateStatus): Record<string, unknown> {
  const last = status.reviews.at(-1);
  return {
    openReviews: openReviews(status).length,
    lastReview: last
      ? { number: last.number, dueAt: last.dueAt, signed: last.signedAt !== undefined, overdue: last.overdue, ...(last.signedBy ? { signedBy: last.signedBy } : {}) }
      : null,
    laggingVerdict: status.laggingVerdict,
    nextReviewAt: status.nextReviewAt ?? null,
    horizonAt: status.horizonAt,
  };
}
