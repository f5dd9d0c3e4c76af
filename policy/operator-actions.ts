import type { Plan } from '../definitions/schema';
import type { Actor, RolloutState, RolloutStatus } from './rollout-types';
import { ADMIN_TOKEN_ROLE, holdsRole, ROLLOUT_OPERATOR_ROLE, SignOffRejection } from './sign-off';

/**
 * Who may pause, resume and abort a rollout, and when each applies: pure rules for the
 * workflow's update validators, so authority is decided in the workflow alone.
 */

export type OperatorActionName = 'pause' | 'resume' | 'abort';

/** OperatorRejection names why a pause, resume or abort cannot apply now; it is the ApplicationFailure `type`. */
export const OperatorRejection = {
  notApplicable: 'ActionNotApplicable',
} as const;

/** APPLIES_IN are the rollout states each action is for, as a refusal names them. */
export const APPLIES_IN: Readonly<Record<OperatorActionName, readonly RolloutState[]>> = {
  pause: ['running'],
  resume: ['paused', 'held'],
  abort: ['running', 'paused', 'held'],
};

/** siteHeld: an escalation holds one site of a per-site stage, which the rollout's resume ends. */
const siteHeld = (status: RolloutStatus): boolean => status.stages.some((stage) => stage.sites?.some((site) => site.heldReason !== undefined));

/** mayOperate: admins, and holders of the plan's operator role, pause, resume and abort rollouts. */
export const mayOperate = (roles: Plan['roles'], actor: Actor): boolean => actor.roles.includes(ADMIN_TOKEN_ROLE) || holdsRole(roles, actor, ROLLOUT_OPERATOR_ROLE);

/** notApplicableMessage says why an action does not apply to a rollout in state. */
export const notApplicableMessage = (action: OperatorActionName, rolloutId: string, state: RolloutState): string =>
  `rollout ${rolloutId} is ${state}; ${action} applies to a ${APPLIES_IN[action].join(' or ')} rollout`;

/**
 * checkOperatorAction refuses an action by an actor without the authority (NotAuthorized), or
 * one that does nothing to the rollout as it is (ActionNotApplicable). Resume also applies to a
 * rollout one of whose sites an escalation holds.
 */
export function checkOperatorAction(action: OperatorActionName, roles: Plan['roles'], status: RolloutStatus, actor: Actor): { type: string; message: string } | undefined {
  if (!mayOperate(roles, actor)) {
    return { type: SignOffRejection.notAuthorized, message: `${actor.name} does not hold ${ROLLOUT_OPERATOR_ROLE} for this plan, which may ${action} rollouts` };
  }
  const applies = APPLIES_IN[action].includes(status.state) || (action === 'resume' && siteHeld(status));
  if (!applies) return { type: OperatorRejection.notApplicable, message: notApplicableMessage(action, status.rolloutId, status.state) };
  return undefined;
}
