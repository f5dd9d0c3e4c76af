import { defineQuery, defineUpdate } from '@temporalio/workflow';

/**
 * The messages of the bare workflow (bench/bare/workflows.ts), shared by the workflow and the
 * benchmarks that drive it. Importing this file starts nothing.
 */

/** BareInput is what one bare rollout runs: `stages` stages, each waiting `timerMs` before its evidence is read. */
export interface BareInput {
  rolloutId: string;
  stages: number;
  timerMs: number;
}

/** BareStage is where a bare rollout stands: its current stage (1-based) and that stage's state. */
export interface BareStage {
  stage: number;
  state: 'running' | 'awaiting-approval' | 'passed';
}

/** BareApproval signs off one stage; the validator refuses any stage but the one awaiting approval. */
export interface BareApproval {
  stage: number;
  actor: string;
}

export const bareApproveUpdate = defineUpdate<BareStage, [BareApproval]>('bareApprove');
export const bareStatusQuery = defineQuery<BareStage>('bareStatus');
