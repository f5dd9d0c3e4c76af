import { decisionPath, type DecisionAnswer, type DecisionRow, type DecisionWithOutcome, type OutcomeRow, type ProposalRow } from '../db/decisions';

/**
 * The JSON bodies the decision and calibration routes answer with, built from stored rows.
 * Dates are ISO 8601 strings; fields that do not apply to a row's state are left out.
 */

/** answerBody is the answer to a decision submission: where it went and by when it must be decided. */
export function answerBody(answer: DecisionAnswer) {
  return {
    decisionId: answer.decisionId,
    rolloutId: answer.rolloutId,
    stageId: answer.stageId,
    disposition: answer.disposition,
    threshold: answer.threshold,
    decideBy: answer.decideBy.toISOString(),
    ...(answer.disposition === 'deferred' ? { deferTo: answer.deferTo, taskUrl: decisionPath(answer.decisionId) } : {}),
  };
}

/**
 * effectOf tells the submitting service what to do: execute (the recommendation, or the
 * modified payload) or not. null while a human has yet to decide.
 */
function effectOf(row: DecisionRow): { execute: boolean; payload?: unknown; basis: string } | null {
  switch (row.state) {
    case 'auto':
      return { execute: true, payload: row.recommendation, basis: 'automatic' };
    case 'shadow':
      return { execute: false, basis: 'shadow' };
    case 'pending':
      return null;
    case 'resolved':
      if (row.resolution === 'reject') return { execute: false, basis: 'rejected' };
      if (row.resolution === 'modify') return { execute: true, payload: row.resolutionPayload, basis: 'modified' };
      return { execute: true, payload: row.recommendation, basis: 'accepted' };
    case 'timed-out':
      return row.timeoutAction === 'execute'
        ? { execute: true, payload: row.recommendation, basis: 'timeout:execute' }
        : { execute: false, basis: `timeout:${row.timeoutAction}` };
  }
}

/** decisionView is a decision as GET /v1/decisions/:decisionId shows it, with its effect and outcome. */
export function decisionView(row: DecisionWithOutcome) {
  return {
    decisionId: row.decisionId,
    rolloutId: row.rolloutId,
    stageId: row.stageId,
    stageMode: row.stageMode,
    planVersion: row.planVersion,
    kind: row.kind,
    confidence: row.confidence,
    irreversible: row.irreversible,
    decideBy: row.decideBy.toISOString(),
    recommendation: row.recommendation,
    disposition: row.disposition,
    threshold: row.threshold,
    thresholdSource: row.thresholdProposalId ? { calibration: row.thresholdProposalId } : 'plan',
    state: row.state,
    effect: effectOf(row),
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    ...(row.disposition === 'deferred' ? { deferTo: row.deferTo, safeDefault: row.safeDefault, taskUrl: decisionPath(row.decisionId) } : {}),
    ...(row.state === 'resolved'
      ? {
          resolution: {
            resolution: row.resolution,
            ...(row.resolution === 'modify' ? { payload: row.resolutionPayload } : {}),
            ...(row.resolutionReason ? { reason: row.resolutionReason } : {}),
            by: row.resolvedBy,
            role: row.resolvedRole,
            at: row.settledAt!.toISOString(),
          },
        }
      : {}),
    ...(row.state === 'timed-out' ? { timeout: { action: row.timeoutAction, at: row.settledAt!.toISOString() } } : {}),
    outcome: row.outcome ? outcomeView(row.outcome) : null,
  };
}

/** outcomeView is a decision's recorded outcome. */
export function outcomeView(outcome: OutcomeRow) {
  return {
    correct: outcome.correct,
    observedAt: outcome.observedAt.toISOString(),
    ...(outcome.detail === null || outcome.detail === undefined ? {} : { detail: outcome.detail }),
    recordedBy: outcome.recordedBy,
    recordedAt: outcome.recordedAt.toISOString(),
  };
}

/** proposalPath is where a calibration proposal is read. */
export const proposalPath = (proposal: ProposalRow) =>
  `/v1/rollouts/${encodeURIComponent(proposal.rolloutId)}/stages/${proposal.stageId}/calibrations/${proposal.proposalId}`;

/** proposalView is a calibration proposal with its evidence and, once decided, who decided it. */
export function proposalView(proposal: ProposalRow) {
  return {
    proposalId: proposal.proposalId,
    kind: proposal.kind,
    rolloutId: proposal.rolloutId,
    stageId: proposal.stageId,
    dataFrom: proposal.dataStageId,
    source: proposal.source,
    allowPilotData: proposal.allowPilotData,
    threshold: proposal.threshold,
    previousThreshold: proposal.previousThreshold,
    targetPrecision: proposal.targetPrecision,
    minOutcomes: proposal.minOutcomes,
    ...proposal.evidence,
    state: proposal.state,
    proposedBy: proposal.proposedBy,
    proposedAt: proposal.proposedAt.toISOString(),
    ...(proposal.decidedBy
      ? {
          decidedBy: proposal.decidedBy,
          decidedRole: proposal.decidedRole,
          ...(proposal.decisionComment ? { comment: proposal.decisionComment } : {}),
          decidedAt: proposal.decidedAt!.toISOString(),
        }
      : {}),
    ...(proposal.effectiveFrom ? { effectiveFrom: proposal.effectiveFrom.toISOString() } : {}),
  };
}
