import { CancellationScope, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import type { CancelRequest } from '../activities/cancel-request';
import { CANCEL_REQUEST_LOOKUP } from './activity-options';

/**
 * A cancellation requested through Temporal (the Web UI's "Request Cancellation", `temporal
 * workflow cancel`, a client's handle.cancel()) becomes an audited abort: the rollout runs in a
 * scope that Temporal's cancellation does not reach, hears of the request through the root
 * scope, and ends the way an abort does, with the requester read from history.
 */

const { readCancelRequest } = proxyActivities<RolloutActivities>(CANCEL_REQUEST_LOOKUP);

/**
 * shieldedFromCancellation runs body where Temporal's cancellation cannot interrupt it, and
 * calls onRequest (once, synchronously in the activation that delivers it) when one is requested.
 */
export function shieldedFromCancellation<T>(onRequest: () => void, body: () => Promise<T>): Promise<T> {
  CancellationScope.current().cancelRequested.catch((error: unknown) => {
    if (isCancellation(error)) onRequest();
  });
  return CancellationScope.nonCancellable(body);
}

/** cancelRequest reads who requested this run's cancellation, and why; {} when that cannot be read. */
export async function cancelRequest(): Promise<CancelRequest> {
  const { workflowId, runId } = workflowInfo();
  try {
    return await readCancelRequest({ workflowId, runId });
  } catch {
    return {};
  }
}
