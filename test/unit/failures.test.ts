import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { FAILURE_KINDS, Failure, FailureKind, failureKind, failureOf, retryable } from '../../policy/failures';

describe('the failure registry', () => {
  it('gives every type one name and a kind', () => {
    const types = Object.values(Failure);
    expect(new Set(types).size).toBe(types.length);
    expect(Object.keys(FAILURE_KINDS).sort()).toEqual([...types].sort());
  });

  // Histories and webhook_deliveries.error_type record these strings: renaming one changes
  // what a workflow matching on it does on replay.
  it.each([
    ['notAuthorized', 'NotAuthorized'],
    ['selfApproval', 'SelfApprovalDenied'],
    ['unknownStage', 'UnknownStage'],
    ['unknownReview', 'UnknownReview'],
    ['invalidSteadyStateInput', 'InvalidSteadyStateInput'],
    ['invalidEvaluationInput', 'InvalidEvaluationInput'],
    ['unknownDecision', 'UnknownDecision'],
    ['noTemporalClient', 'NoTemporalClient'],
    ['webhookRejected', 'WebhookRejected'],
    ['webhookDeliveryFailed', 'WebhookDeliveryFailed'],
  ] as const)('keeps the type string of %s', (name, type) => {
    expect(Failure[name]).toBe(type);
  });

  it('retries only transient failures: a failed webhook delivery', () => {
    expect(Object.values(Failure).filter(retryable)).toEqual([Failure.webhookDeliveryFailed]);
  });

  it('tells "not you" from "not now" and "unknown"', () => {
    expect(failureKind('NotAuthorized')).toBe(FailureKind.notYou);
    expect(failureKind('SelfApprovalDenied')).toBe(FailureKind.notYou);
    expect(failureKind('StageNotAwaitingSignOff')).toBe(FailureKind.notNow);
    expect(failureKind('UnknownPrerequisite')).toBe(FailureKind.unknown);
    expect(failureKind('SomethingElse')).toBeUndefined();
    expect(failureKind(undefined)).toBeUndefined();
  });
});

describe('failureOf', () => {
  it('finds the registry type through an activity failure', () => {
    const cause = ApplicationFailure.create({ type: Failure.invalidEvaluationInput, message: 'bad window', nonRetryable: true });
    const activity = new ActivityFailure('activity failed', 'evaluateStage', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
    expect(failureOf(activity)).toBe(Failure.invalidEvaluationInput);
  });

  it('passes over types the registry does not hold, and errors without one', () => {
    expect(failureOf(ApplicationFailure.create({ type: 'Elsewhere', message: 'x' }))).toBeUndefined();
    expect(failureOf(new Error('plain'))).toBeUndefined();
    expect(failureOf(undefined)).toBeUndefined();
  });
});
