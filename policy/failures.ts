import { OperatorRejection } from './operator-actions';
import { SignOffRejection } from './sign-off';
import { SteadyStateRejection } from './steady-state-rules';

/**
 * The registry of every ApplicationFailure `type` rollgate throws: by the update validators of
 * the workflows (the sign-off and steady-state rules' refusals), by the workflows themselves,
 * and by the activities. Code that throws a failure names its type here; code that reacts to
 * one (a workflow catching an activity's failure, the API answering a refused update) matches
 * on the type string, never on the class, which does not survive the sandbox.
 *
 * A type string is recorded in workflow histories and in webhook_deliveries.error_type: a
 * workflow that matches on a renamed type takes another branch on replay. Add types; never
 * rename one.
 *
 * Pure: no I/O and no Temporal import, so the workflows, activities and the API share it.
 */
export const Failure = {
  // Refusals of the rollout workflow's update validators (policy/sign-off.ts).
  ...SignOffRejection,
  // Refusals of the pause, resume and abort updates besides the sign-off ones (policy/operator-actions.ts).
  ...OperatorRejection,
  // Refusals of the steady-state workflow's update validators (policy/steady-state-rules.ts).
  ...SteadyStateRejection,
  /** The steady-state workflow was started for a stage without a readable calendar. */
  invalidSteadyStateInput: 'InvalidSteadyStateInput',
  /** An evaluation request that can never succeed (activities/evaluation.ts). */
  invalidEvaluationInput: 'InvalidEvaluationInput',
  /** A deferred decision's workflow names a decision that is not stored (activities/decisions.ts). */
  unknownDecision: 'UnknownDecision',
  /** The worker was built without a Temporal client, which reading a cancellation request needs. */
  noTemporalClient: 'NoTemporalClient',
  // Webhook delivery (activities/webhooks.ts); only webhookDeliveryFailed is retried.
  webhookSecretMissing: 'WebhookSecretMissing',
  webhookInvalidTarget: 'WebhookInvalidTarget',
  webhookTargetRefused: 'WebhookTargetRefused',
  webhookRejected: 'WebhookRejected',
  webhookDeliveryFailed: 'WebhookDeliveryFailed',
} as const;
export type Failure = (typeof Failure)[keyof typeof Failure];

/**
 * FailureKind says what a failure means to whoever asked: the caller may not (`not-you`), the
 * thing named does not exist (`unknown`), not in this state (`not-now`), the input can never
 * work (`invalid-input`), a dependency failed and a retry may help (`transient`), or the
 * deployment lacks something (`misconfigured`).
 */
export const FailureKind = {
  notYou: 'not-you',
  unknown: 'unknown',
  notNow: 'not-now',
  invalidInput: 'invalid-input',
  transient: 'transient',
  misconfigured: 'misconfigured',
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

/** FAILURE_KINDS classifies every failure type; retryable is true only for `transient` ones. */
export const FAILURE_KINDS: { readonly [type in Failure]: FailureKind } = {
  [Failure.notAuthorized]: FailureKind.notYou,
  [Failure.selfApproval]: FailureKind.notYou,
  [Failure.unknownStage]: FailureKind.unknown,
  [Failure.unknownPrerequisite]: FailureKind.unknown,
  [Failure.unknownReview]: FailureKind.unknown,
  [Failure.rolloutNotRunning]: FailureKind.notNow,
  [Failure.notAwaitingSignOff]: FailureKind.notNow,
  [Failure.notSupervised]: FailureKind.notNow,
  [Failure.alreadySignedOff]: FailureKind.notNow,
  [Failure.roleAlreadySatisfied]: FailureKind.notNow,
  [Failure.alreadySigned]: FailureKind.notNow,
  [Failure.stageNotHeld]: FailureKind.notNow,
  [Failure.settled]: FailureKind.notNow,
  [Failure.versionUnchanged]: FailureKind.notNow,
  [Failure.notApplicable]: FailureKind.notNow,
  [Failure.reasonRequired]: FailureKind.invalidInput,
  [Failure.invalidRollbackTarget]: FailureKind.invalidInput,
  [Failure.invalidSteadyStateInput]: FailureKind.invalidInput,
  [Failure.invalidEvaluationInput]: FailureKind.invalidInput,
  [Failure.unknownDecision]: FailureKind.unknown,
  [Failure.noTemporalClient]: FailureKind.misconfigured,
  [Failure.webhookSecretMissing]: FailureKind.misconfigured,
  [Failure.webhookInvalidTarget]: FailureKind.invalidInput,
  [Failure.webhookTargetRefused]: FailureKind.misconfigured,
  [Failure.webhookRejected]: FailureKind.invalidInput,
  [Failure.webhookDeliveryFailed]: FailureKind.transient,
};

/** isFailure: type is one of the registry's. */
export const isFailure = (type: unknown): type is Failure => typeof type === 'string' && Object.prototype.hasOwnProperty.call(FAILURE_KINDS, type);

/** failureKind is what a failure type means, or undefined for a type the registry does not hold. */
export const failureKind = (type: unknown): FailureKind | undefined => (isFailure(type) ? FAILURE_KINDS[type] : undefined);

/** retryable: a retry of what failed with type may succeed; the activities set nonRetryable from it. */
export const retryable = (type: Failure): boolean => FAILURE_KINDS[type] === FailureKind.transient;

/** How deep a cause chain is followed; chains are short, and this bounds a cyclic one. */
const MAX_CAUSE_DEPTH = 8;

/**
 * failureOf is the registry type of error, or of the first error in its cause chain that has
 * one (an ActivityFailure or WorkflowUpdateFailedError holds the ApplicationFailure as its
 * cause). It reads the `type` property alone, so it works on both sides of the sandbox.
 */
export function failureOf(error: unknown): Failure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== null && typeof current === 'object'; depth++) {
    const { type, cause } = current as { type?: unknown; cause?: unknown };
    if (isFailure(type)) return type;
    current = cause;
  }
  return undefined;
}
