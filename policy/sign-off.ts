import { upstreamStages, type GraphStage } from '../definitions/graph';
import type { Approval, Plan } from '../definitions/schema';
import type { Actor, FailureResolution, PrerequisiteSignOff, PrerequisiteStatus, RolloutState, SignOff, StageDecision, StageStatus } from './rollout-types';

/**
 * Sign-off rules, pure and deterministic: the workflow's update validators and handlers use
 * them, and so can any offline tool.
 *
 * Who holds a role: when the plan's `roles` map declares the role (or, for `role@site`, its
 * base role), exactly its members do. Otherwise a person holds it through the roles on their
 * API token. A service principal holds a role only where the plan's map lists it: services
 * report evidence, they do not sign off by default.
 */

/** SignOffRejection names why a decision cannot apply; it is the ApplicationFailure `type`. */
export const SignOffRejection = {
  unknownStage: 'UnknownStage',
  notAuthorized: 'NotAuthorized',
  selfApproval: 'SelfApprovalDenied',
  rolloutNotRunning: 'RolloutNotRunning',
  notAwaitingSignOff: 'StageNotAwaitingSignOff',
  notSupervised: 'StageNotSupervised',
  alreadySignedOff: 'AlreadySignedOff',
  roleAlreadySatisfied: 'RoleAlreadySatisfied',
  reasonRequired: 'ReasonRequired',
  unknownPrerequisite: 'UnknownPrerequisite',
  alreadySigned: 'AlreadySigned',
  stageNotHeld: 'StageNotHeld',
  invalidRollbackTarget: 'InvalidRollbackTarget',
} as const;
export type SignOffRejection = (typeof SignOffRejection)[keyof typeof SignOffRejection];

/** The plan role that pauses, resumes and aborts rollouts and resolves held stages (admins may too). */
export const ROLLOUT_OPERATOR_ROLE = 'deployment-lead';
/** The token role that may do every rollout action except sign-off. */
export const ADMIN_TOKEN_ROLE = 'admin';

/** Refusals that mean "not you" (HTTP 403) rather than "not now" (409). */
export const AUTHORIZATION_REFUSALS: ReadonlySet<string> = new Set([SignOffRejection.notAuthorized, SignOffRejection.selfApproval]);

export interface Refusal {
  type: SignOffRejection;
  message: string;
}

export interface MissingApproval {
  role: string;
  needed: number;
}

/** SignOffContext is what the rules need to know about the rollout besides the stage. */
export interface SignOffContext {
  rolloutState: RolloutState;
  roles: Plan['roles'];
  allowSelfApproval: boolean;
  startedBy?: string;
}

/** holdsRole says whether actor holds role for a plan with the given role map. */
export function holdsRole(roles: Plan['roles'], actor: Actor, role: string): boolean {
  const base = role.split('@')[0]!;
  const declared = roles?.[role] ?? roles?.[base];
  if (declared) return declared.members.includes(actor.name);
  return actor.kind === 'person' && (actor.roles.includes(role) || actor.roles.includes(base));
}

/** missingApprovals lists, per required role, how many more distinct approvals are needed. */
export function missingApprovals(required: readonly Approval[], approvals: readonly SignOff[]): MissingApproval[] {
  return required
    .map(({ role, count }) => ({ role, needed: count - approvals.filter((a) => a.role === role).length }))
    .filter((missing) => missing.needed > 0);
}

/** quorumComplete says whether approvals give every required role its count. */
export function quorumComplete(required: readonly Approval[], approvals: readonly SignOff[]): boolean {
  return missingApprovals(required, approvals).length === 0;
}

/** signOffOf is the SignOff a decision records: what was decided, by whom, in which role, when, and the comment. */
export function signOffOf(decision: Pick<StageDecision, 'decision' | 'actor' | 'comment' | 'requestId'>, role: string, at: string): SignOff {
  return {
    decision: decision.decision,
    approver: decision.actor.name,
    role,
    at,
    ...(decision.comment ? { comment: decision.comment } : {}),
    ...(decision.requestId ? { requestId: decision.requestId } : {}),
  };
}

/**
 * standingRefusal refuses a sign-off, whatever it signs, by the person who started the rollout
 * (unless the plan allows self-approval), then any sign-off while the rollout is not running.
 * `subject` names what they would sign off in the message, e.g. `its stages`.
 */
function standingRefusal(context: SignOffContext, actor: Actor, subject: string): Refusal | undefined {
  if (actor.name === context.startedBy && !context.allowSelfApproval) {
    return {
      type: SignOffRejection.selfApproval,
      message: `${actor.name} started this rollout and may not sign off ${subject} (the plan does not allowSelfApproval)`,
    };
  }
  if (context.rolloutState !== 'running') {
    return { type: SignOffRejection.rolloutNotRunning, message: `the rollout is ${context.rolloutState}; sign-off is possible only while it runs` };
  }
  return undefined;
}

/** stillNeeded words missing approvals: `role ×count, …`. */
const stillNeeded = (missing: readonly MissingApproval[]): string => missing.map((entry) => `${entry.role} ×${entry.needed}`).join(', ');

/** signingRoles are the roles whose members may sign off the stage now: the required ones and any escalated to. */
function signingRoles(stage: StageStatus): string[] {
  return [...new Set([...stage.required.map((requirement) => requirement.role), ...stage.escalatedTo])];
}

/**
 * resolveRole picks the role a decision counts toward: the one asked for, else the first role
 * the actor holds that still needs approvals (an escalated role last), else any role they hold.
 */
function resolveRole(context: SignOffContext, stage: StageStatus, decision: StageDecision): string | Refusal {
  const who = decision.actor.name;
  if (decision.role !== undefined) {
    if (!signingRoles(stage).includes(decision.role)) {
      return {
        type: SignOffRejection.notAuthorized,
        message: `stage ${stage.id} takes sign-off from ${signingRoles(stage).join(', ')}, not ${decision.role}`,
      };
    }
    if (!holdsRole(context.roles, decision.actor, decision.role)) {
      return { type: SignOffRejection.notAuthorized, message: `${who} does not hold the role ${decision.role} for this plan` };
    }
    return decision.role;
  }
  const missing = missingApprovals(stage.required, stage.approvals).map((entry) => entry.role);
  const preference = [...missing, ...stage.escalatedTo, ...signingRoles(stage)];
  const held = preference.find((role) => holdsRole(context.roles, decision.actor, role));
  if (held === undefined) {
    return {
      type: SignOffRejection.notAuthorized,
      message: `${who} holds none of the roles that sign off stage ${stage.id}: ${signingRoles(stage).join(', ')}`,
    };
  }
  return held;
}

/** checkDecision returns why decision cannot apply to stage now, or undefined when it can. */
export function checkDecision(context: SignOffContext, stage: StageStatus | undefined, decision: StageDecision): Refusal | undefined {
  if (!stage) return { type: SignOffRejection.unknownStage, message: `the plan has no stage ${decision.stageId}` };
  const role = resolveRole(context, stage, decision);
  if (typeof role !== 'string') return role;
  const standing = standingRefusal(context, decision.actor, 'its stages');
  if (standing) return standing;
  if (stage.state === 'held' && stage.hold && stage.hold.cause !== 'rejected') {
    return {
      type: SignOffRejection.notAwaitingSignOff,
      message: `stage ${stage.id} is held (${stage.hold.reason}); resolve it first: retry-window, rollback or abort`,
    };
  }
  if (stage.state !== 'awaiting-approval' && stage.state !== 'held') {
    const when = stage.state === 'running' && stage.endsNoEarlierThan ? ` until ${stage.endsNoEarlierThan}` : '';
    return { type: SignOffRejection.notAwaitingSignOff, message: `stage ${stage.id} is ${stage.state}${when}, not awaiting sign-off` };
  }
  if (decision.decision === 'reject') {
    if (decision.comment?.trim()) return undefined;
    return { type: SignOffRejection.reasonRequired, message: `a rejection of stage ${stage.id} needs a reason in comment` };
  }
  if (stage.approvals.some((approval) => approval.approver === decision.actor.name)) {
    return { type: SignOffRejection.alreadySignedOff, message: `${decision.actor.name} has already approved stage ${stage.id}` };
  }
  const missing = missingApprovals(stage.required, stage.approvals);
  if (!stage.escalatedTo.includes(role) && !missing.some((entry) => entry.role === role)) {
    return {
      type: SignOffRejection.roleAlreadySatisfied,
      message: `stage ${stage.id} already has every ${role} approval it needs; still needed: ${stillNeeded(missing)}`,
    };
  }
  return undefined;
}

/** SignedDecision is a stage with a decision recorded, the decision's SignOff, and whether it completed the sign-off. */
export interface SignedDecision {
  stage: StageStatus;
  signOff: SignOff;
  /** complete: an approval that met every requirement, or one by a role the stage escalated to. */
  complete: boolean;
}

/**
 * signDecision records a decision that checkDecision accepted on the stage and says whether it
 * completed the sign-off, leaving what that does to the caller: passSigned passes the stage,
 * while the rollout opens the gated wave of a forEach stage instead. A rejection holds the
 * stage and clears its approvals: sign-off starts again once the concern is addressed.
 */
export function signDecision(context: SignOffContext, stage: StageStatus, decision: StageDecision, at: string): SignedDecision {
  const role = resolveRole(context, stage, decision) as string;
  const signOff = signOffOf(decision, role, at);
  const history = [...stage.history, signOff];
  if (decision.decision === 'reject') {
    return { stage: { ...stage, state: 'held', approvals: [], history, hold: { cause: 'rejected', reason: decision.comment ?? '', at } }, signOff, complete: false };
  }
  const approvals = [...stage.approvals, signOff];
  const complete = stage.escalatedTo.includes(role) || quorumComplete(stage.required, approvals);
  return { stage: { ...stage, approvals, history }, signOff, complete };
}

/** passSigned passes a stage whose sign-off is complete at `at`; a hold after an earlier rejection ends. */
export function passSigned(stage: StageStatus, at: string): StageStatus {
  const { hold: _cleared, ...rest } = stage;
  return { ...rest, state: 'passed', passedAt: at };
}

/**
 * applyDecision returns the stage after a decision that checkDecision accepted: signDecision,
 * and a complete sign-off passes the stage.
 */
export function applyDecision(context: SignOffContext, stage: StageStatus, decision: StageDecision, at: string): StageStatus {
  const signed = signDecision(context, stage, decision, at);
  return signed.complete ? passSigned(signed.stage, at) : signed.stage;
}

/** checkOverride returns why actor may not record an override on stage, or undefined. */
export function checkOverride(context: SignOffContext, stage: StageStatus | undefined, stageId: string, actor: Actor): Refusal | undefined {
  if (!stage) return { type: SignOffRejection.unknownStage, message: `the plan has no stage ${stageId}` };
  if (stage.mode !== 'supervised' || !stage.overrideAuthority) {
    return { type: SignOffRejection.notSupervised, message: `stage ${stage.id} is ${stage.mode}: overrides belong to supervised stages` };
  }
  if (!holdsRole(context.roles, actor, stage.overrideAuthority)) {
    return {
      type: SignOffRejection.notAuthorized,
      message: `${actor.name} does not hold ${stage.overrideAuthority}, the override authority of stage ${stage.id}`,
    };
  }
  if (stage.state !== 'running' && stage.state !== 'awaiting-approval' && stage.state !== 'held') {
    return { type: SignOffRejection.notAwaitingSignOff, message: `stage ${stage.id} is ${stage.state}, not under way` };
  }
  return undefined;
}

/** checkPrerequisite returns why a prerequisite sign-off cannot apply, or undefined. */
export function checkPrerequisite(
  context: SignOffContext,
  prerequisites: readonly PrerequisiteStatus[],
  request: PrerequisiteSignOff,
): Refusal | undefined {
  const prerequisite = prerequisites.find((p) => p.id === request.prerequisiteId);
  if (!prerequisite) return { type: SignOffRejection.unknownPrerequisite, message: `the plan has no prerequisite ${request.prerequisiteId}` };
  if (!holdsRole(context.roles, request.actor, prerequisite.signedBy)) {
    return { type: SignOffRejection.notAuthorized, message: `${request.actor.name} does not hold ${prerequisite.signedBy}, who signs off ${prerequisite.id}` };
  }
  if (prerequisite.signed) {
    return { type: SignOffRejection.alreadySigned, message: `${prerequisite.id} was signed off by ${prerequisite.signed.by} at ${prerequisite.signed.at}` };
  }
  if (context.rolloutState === 'completed' || context.rolloutState === 'aborted') {
    return { type: SignOffRejection.rolloutNotRunning, message: `the rollout is ${context.rolloutState}` };
  }
  return undefined;
}

/** checkResolution returns why a resolution of a held stage cannot apply, or undefined. */
export function checkResolution(
  context: SignOffContext,
  stage: StageStatus | undefined,
  resolution: FailureResolution,
  stages: readonly GraphStage[],
  planRollbackTarget: string | undefined,
): Refusal | undefined {
  if (!stage) return { type: SignOffRejection.unknownStage, message: `the plan has no stage ${resolution.stageId}` };
  if (!resolution.actor.roles.includes(ADMIN_TOKEN_ROLE) && !holdsRole(context.roles, resolution.actor, ROLLOUT_OPERATOR_ROLE)) {
    return { type: SignOffRejection.notAuthorized, message: `${resolution.actor.name} does not hold ${ROLLOUT_OPERATOR_ROLE}, who resolves held stages` };
  }
  if (stage.state !== 'held' || !stage.hold || stage.hold.cause === 'rejected') {
    return { type: SignOffRejection.stageNotHeld, message: `stage ${stage.id} is ${stage.state}${stage.hold ? ` after a rejection` : ''}, not held after its criteria` };
  }
  if (context.rolloutState === 'completed' || context.rolloutState === 'aborted') {
    return { type: SignOffRejection.rolloutNotRunning, message: `the rollout is ${context.rolloutState}` };
  }
  if (resolution.choice === 'rollback') {
    const target = resolution.to ?? planRollbackTarget;
    if (target === undefined) {
      return { type: SignOffRejection.invalidRollbackTarget, message: `say which upstream stage to roll back to: stage ${stage.id} names none in onFailure` };
    }
    if (target !== stage.id && !upstreamStages(stages, stage.id).includes(target)) {
      return { type: SignOffRejection.invalidRollbackTarget, message: `${target} is not upstream of stage ${stage.id}` };
    }
  }
  return undefined;
}

/** QuorumTask is a sign-off task other than a stage, e.g. a periodic review: the quorum it needs and the approvals it has. */
export interface QuorumTask {
  /** label names the task in refusals, e.g. `review 3 of stage steady-state`. */
  label: string;
  required: readonly Approval[];
  approvals: readonly SignOff[];
}

/**
 * quorumRole applies the stage sign-off rules to a quorum task. It returns the role a
 * sign-off by actor counts toward (role when given, else the first still-missing role the
 * actor holds), or why it cannot count: a role the task does not take or the actor does not
 * hold, self-approval, a rollout not running, a task already complete, the same person twice,
 * or a role that already has its count.
 */
export function quorumRole(context: SignOffContext, task: QuorumTask, actor: Actor, role?: string): string | Refusal {
  const roles = [...new Set(task.required.map((requirement) => requirement.role))];
  const missing = missingApprovals(task.required, task.approvals);
  if (role !== undefined && !roles.includes(role)) {
    return { type: SignOffRejection.notAuthorized, message: `${task.label} takes sign-off from ${roles.join(', ')}, not ${role}` };
  }
  const chosen = (role !== undefined ? [role] : [...missing.map((entry) => entry.role), ...roles]).find((r) => holdsRole(context.roles, actor, r));
  if (chosen === undefined) {
    const which = role !== undefined ? `the role ${role}` : `any of the roles that sign off ${task.label}: ${roles.join(', ')}`;
    return { type: SignOffRejection.notAuthorized, message: `${actor.name} does not hold ${which}` };
  }
  const standing = standingRefusal(context, actor, task.label);
  if (standing) return standing;
  if (missing.length === 0) return { type: SignOffRejection.alreadySigned, message: `${task.label} is already signed off` };
  if (task.approvals.some((approval) => approval.approver === actor.name)) {
    return { type: SignOffRejection.alreadySignedOff, message: `${actor.name} has already signed ${task.label}` };
  }
  if (!missing.some((entry) => entry.role === chosen)) {
    return { type: SignOffRejection.roleAlreadySatisfied, message: `${task.label} already has every ${chosen} sign-off it needs; still needed: ${stillNeeded(missing)}` };
  }
  return chosen;
}
