import type { Client } from '@temporalio/client';
import type { RolloutRow } from '../db/rollouts';
import { EVIDENCE_DEBOUNCE_MS } from '../policy/stage-machine';
import { errorFields, log } from '../telemetry/logger';
import { evidenceArrivedSignal } from '../workflows/rollout/messages';

/**
 * EVIDENCE_SIGNAL_TIMEOUT_MS bounds how long the API tries to tell a rollout of new evidence.
 * The evidence is stored whether or not the signal gets through: without it the stage sees the
 * evidence at its next evaluationInterval.
 */
export const EVIDENCE_SIGNAL_TIMEOUT_MS = 2_000;

/**
 * EVIDENCE_SIGNAL_GAP_MS is the least time between two signals to one rollout from this process:
 * evidence that comes within it is told once, at its end, so a rollout's history grows by at most
 * one signal per gap whatever the batch rate.
 */
export const EVIDENCE_SIGNAL_GAP_MS = EVIDENCE_DEBOUNCE_MS;

/** ENDED are the registry states of rollouts whose workflow is over or never ran. */
const ENDED = new Set(['completed', 'aborted', 'terminated', 'not-started']);

/** gaps holds, per rollout signalled within the last gap, whether more evidence came in it. */
const gaps = new Map<string, { more: boolean }>();

/**
 * tellEvidenceArrived signals a rollout not yet over that evidence for it was stored,
 * so that they are evaluated soon (evidenceArrivedSignal). Call it after the evidence is
 * committed and do not wait for it: it never throws, and a Temporal outage only logs.
 */
export function tellEvidenceArrived(temporal: Client, row: RolloutRow): void {
  // The registry follows the workflow by its trail's writes, so a stage just started may not be
  // listed yet: every rollout not known to be over is told, and the workflow ignores what it
  // has no running stage for.
  if (ENDED.has(row.state)) return;
  const gap = gaps.get(row.rolloutId);
  if (gap) {
    gap.more = true;
    return;
  }
  signal(temporal, row);
}

function signal(temporal: Client, row: RolloutRow): void {
  const gap = { more: false };
  gaps.set(row.rolloutId, gap);
  setTimeout(() => {
    gaps.delete(row.rolloutId);
    if (gap.more) signal(temporal, row);
  }, EVIDENCE_SIGNAL_GAP_MS).unref();
  temporal
    .withAbortSignal(AbortSignal.timeout(EVIDENCE_SIGNAL_TIMEOUT_MS), () => temporal.workflow.getHandle(row.workflowId).signal(evidenceArrivedSignal))
    .catch((error: Error) => log().warn({ rolloutId: row.rolloutId, ...errorFields(error) }, 'evidence: could not tell the rollout of new evidence; its stages see it at their next evaluation'));
}
