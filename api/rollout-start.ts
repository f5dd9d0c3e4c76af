import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PlanVersionRow } from '../db/plans';
import type { RolloutInput } from '../workflows/rollout-types';
import type { rolloutWorkflow } from '../workflows/rollout/workflow';
import { RolloutPlanKey, RolloutStateKey } from '../workflows/search-attributes';

/** workflowIdFor is the id of a rollout's workflow: one workflow per rollout id, ever. */
export const workflowIdFor = (rolloutId: string) => `rollout-${rolloutId}`;

/** rolloutIdOf is the rollout id of a rollout workflow's id, or undefined for other workflows. */
export const rolloutIdOf = (workflowId: string) => (workflowId.startsWith('rollout-') ? workflowId.slice('rollout-'.length) : undefined);

/** rolloutInput is what a rollout's workflow starts with: a snapshot of its plan version. */
export function rolloutInput(rolloutId: string, planVersion: PlanVersionRow, startedBy: string): RolloutInput {
  return {
    rolloutId,
    planName: planVersion.name,
    planVersion: planVersion.version,
    planDigest: planVersion.digest,
    plan: planVersion.plan,
    startedBy,
  };
}

/**
 * startRolloutWorkflow starts the workflow of input's rollout, idempotently: the workflow id is
 * the rollout's, and a workflow of that id that already ran or runs counts as started (it came
 * of an earlier attempt of the same start). Hold no database connection across this call.
 */
export async function startRolloutWorkflow(temporal: Client, taskQueue: string, input: RolloutInput): Promise<'started' | 'already-started'> {
  try {
    await temporal.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
      taskQueue,
      workflowId: workflowIdFor(input.rolloutId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: RolloutPlanKey, value: input.planName },
        { key: RolloutStateKey, value: 'running' },
      ],
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw error;
  }
}
