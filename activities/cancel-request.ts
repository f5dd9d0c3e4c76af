import type { Client } from '@temporalio/client';
import { Failure } from '../policy/failures';
import { failure } from './failure';

/** CancelRequestInput names the workflow run whose cancellation request is looked up. */
export interface CancelRequestInput {
  workflowId: string;
  runId: string;
}

/** CancelRequest is what Temporal recorded of a cancellation request: who sent it, and why if they said. */
export interface CancelRequest {
  /** identity is the requesting client's identity (the Web UI's signed-in user, or a CLI's or SDK client's identity). */
  identity?: string;
  /** reason is the request's reason (`temporal workflow cancel --reason`), when it gave one. */
  reason?: string;
  requestedAt?: string;
}

const PAGE_SIZE = 50;

/**
 * createCancelRequestActivities reads a run's WorkflowExecutionCancelRequested event from its
 * history, newest events first, since the workflow API does not pass the request's identity
 * to the workflow. Without a Temporal client (a worker built without one) it fails non-retryably.
 */
export function createCancelRequestActivities(temporal: Client | undefined) {
  return {
    /** readCancelRequest answers the latest cancellation request of the run, or {} when it has none. */
    async readCancelRequest(input: CancelRequestInput): Promise<CancelRequest> {
      if (!temporal) throw failure(Failure.noTemporalClient, 'this worker has no Temporal client to read the cancellation request with');
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await temporal.workflowService.getWorkflowExecutionHistoryReverse({
          namespace: temporal.options.namespace,
          execution: { workflowId: input.workflowId, runId: input.runId },
          maximumPageSize: PAGE_SIZE,
          ...(nextPageToken ? { nextPageToken } : {}),
        });
        for (const event of page.history?.events ?? []) {
          const request = event.workflowExecutionCancelRequestedEventAttributes;
          if (!request) continue;
          const seconds = event.eventTime?.seconds;
          return {
            ...(request.identity ? { identity: request.identity } : {}),
            ...(request.cause ? { reason: request.cause } : {}),
            ...(seconds != null ? { requestedAt: new Date(Number(seconds) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6)).toISOString() } : {}),
          };
        }
        nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      } while (nextPageToken);
      return {};
    },
  };
}
