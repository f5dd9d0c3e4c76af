import type { Client } from '@temporalio/client';
import { trailQuery } from '../workflows/rollout/messages';
import { workflowIdFor } from './rollout-start';

/** How long a refused decision waits for the registry to follow the workflow's trail. */
const CATCH_UP_MS = 5_000;
/** How long one trail query may take before the refusal stands. */
const QUERY_TIMEOUT_MS = 2_000;
const POLL_MS = 50;

/**
 * registryCaughtUp is for a decision the registry refuses (no such stage under way): the
 * registry follows the rollout's audit trail, which is written after the workflow has moved on
 * (docs/operations.md, the lean audit trail), so a stage that has just started may not be listed
 * yet. It asks the workflow how far its trail is written; when writes are pending it waits (at
 * most CATCH_UP_MS) until they are stored and answers true: the registry is worth reading again.
 * false when nothing was pending, or the workflow does not answer in time: the refusal stands.
 */
export async function registryCaughtUp(temporal: Client, rolloutId: string): Promise<boolean> {
  const handle = temporal.workflow.getHandle(workflowIdFor(rolloutId));
  const trail = () => temporal.connection.withAbortSignal(AbortSignal.timeout(QUERY_TIMEOUT_MS), () => handle.query(trailQuery)).catch(() => undefined);
  const first = await trail();
  if (!first || first.written >= first.recorded) return false;
  const deadline = Date.now() + CATCH_UP_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const now = await trail();
    if (!now) return false;
    if (now.written >= first.recorded) return true;
  }
  return false;
}
