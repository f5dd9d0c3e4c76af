import type { Pool, PoolClient } from 'pg';
import type { CalibrationSample } from '../policy/calibration';
import { withTransaction } from './pool';

/**
 * Calibration of a stage's confidence threshold (migration 004_decisions.sql): the outcomes it is
 * computed from, the proposals with their approval, and the thresholds in force. An approved
 * proposal's threshold applies to the decisions made after its approval (stage_thresholds).
 */

/**
 * calibrationSamples returns the outcomes that judge the model's own recommendation in a stage:
 * automatic and shadow decisions, and deferred ones a human accepted as recommended. Modified
 * and rejected decisions are left out (their outcome judges the human's choice), and so are
 * timed-out ones (nothing or the safe default was done).
 */
export async function calibrationSamples(pool: Pool, rolloutId: string, stageId: string): Promise<CalibrationSample[]> {
  const result = await pool.query<CalibrationSample>(
    `SELECT d.confidence, o.correct FROM decisions d JOIN decision_outcomes o USING (decision_id)
      WHERE d.rollout_id = $1 AND d.stage_id = $2
        AND (d.state IN ('auto', 'shadow') OR (d.state = 'resolved' AND d.resolution = 'accept'))`,
    [rolloutId, stageId],
  );
  return result.rows;
}

/** currentThreshold is the approved calibration in force for a stage now, if any. */
export async function currentThreshold(pool: Pool, rolloutId: string, stageId: string): Promise<{ threshold: number; proposalId: string } | undefined> {
  const result = await pool.query<{ threshold: number; proposalId: string }>(
    `SELECT threshold, proposal_id AS "proposalId" FROM stage_thresholds
      WHERE rollout_id = $1 AND stage_id = $2 AND effective_from <= now() ORDER BY effective_from DESC LIMIT 1`,
    [rolloutId, stageId],
  );
  return result.rows[0];
}

export type ProposalState = 'proposed' | 'approved' | 'rejected';

export interface ProposalRow {
  proposalId: string;
  kind: 'confidence-threshold';
  rolloutId: string;
  stageId: string;
  planName: string;
  planVersion: number;
  dataStageId: string;
  source: 'production' | 'pilot';
  allowPilotData: boolean;
  threshold: number;
  previousThreshold: number | null;
  targetPrecision: number;
  minOutcomes: number;
  evidence: Record<string, unknown>;
  state: ProposalState;
  proposedBy: string;
  proposedAt: Date;
  decidedBy: string | null;
  decidedRole: string | null;
  decisionComment: string | null;
  decidedAt: Date | null;
  /** effectiveFrom is when an approved threshold took effect. */
  effectiveFrom: Date | null;
}

const PROPOSAL_COLUMNS = `p.proposal_id AS "proposalId", p.kind, p.rollout_id AS "rolloutId", p.stage_id AS "stageId",
  p.plan_name AS "planName", p.plan_version AS "planVersion", p.data_stage_id AS "dataStageId", p.source,
  p.allow_pilot_data AS "allowPilotData", p.threshold, p.previous_threshold AS "previousThreshold",
  p.target_precision AS "targetPrecision", p.min_outcomes AS "minOutcomes", p.evidence, p.state,
  p.proposed_by AS "proposedBy", p.proposed_at AS "proposedAt", p.decided_by AS "decidedBy", p.decided_role AS "decidedRole",
  p.decision_comment AS "decisionComment", p.decided_at AS "decidedAt",
  (SELECT t.effective_from FROM stage_thresholds t WHERE t.proposal_id = p.proposal_id) AS "effectiveFrom"`;

export type NewProposal = Omit<ProposalRow, 'state' | 'proposedAt' | 'decidedBy' | 'decidedRole' | 'decisionComment' | 'decidedAt' | 'effectiveFrom'>;

export async function insertProposal(pool: Pool, proposal: NewProposal): Promise<ProposalRow> {
  await pool.query(
    `INSERT INTO proposals (proposal_id, kind, rollout_id, stage_id, plan_name, plan_version, data_stage_id, source, allow_pilot_data,
                            threshold, previous_threshold, target_precision, min_outcomes, evidence, proposed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      proposal.proposalId,
      proposal.kind,
      proposal.rolloutId,
      proposal.stageId,
      proposal.planName,
      proposal.planVersion,
      proposal.dataStageId,
      proposal.source,
      proposal.allowPilotData,
      proposal.threshold,
      proposal.previousThreshold,
      proposal.targetPrecision,
      proposal.minOutcomes,
      JSON.stringify(proposal.evidence),
      proposal.proposedBy,
    ],
  );
  return (await getProposal(pool, proposal.proposalId))!;
}

export async function getProposal(db: Pool | PoolClient, proposalId: string): Promise<ProposalRow | undefined> {
  const result = await db.query<ProposalRow>(`SELECT ${PROPOSAL_COLUMNS} FROM proposals p WHERE p.proposal_id = $1`, [proposalId]);
  return result.rows[0];
}

export async function listProposals(pool: Pool, rolloutId: string, stageId: string): Promise<ProposalRow[]> {
  const result = await pool.query<ProposalRow>(
    `SELECT ${PROPOSAL_COLUMNS} FROM proposals p WHERE p.rollout_id = $1 AND p.stage_id = $2 ORDER BY p.proposed_at, p.proposal_id`,
    [rolloutId, stageId],
  );
  return result.rows;
}

export interface ProposalDecision {
  proposalId: string;
  decision: 'approve' | 'reject';
  by: string;
  role: string;
  comment?: string;
}

/**
 * decideProposal approves or rejects a proposal that is still proposed. An approval makes its
 * threshold effective from the transaction's time, for decisions made from then on. undefined
 * when the proposal was no longer proposed.
 */
export async function decideProposal(pool: Pool, input: ProposalDecision): Promise<ProposalRow | undefined> {
  return withTransaction(pool, async (client) => {
    const updated = await client.query<{ rolloutId: string; stageId: string; threshold: number }>(
      `UPDATE proposals SET state = $2, decided_by = $3, decided_role = $4, decision_comment = $5, decided_at = now()
        WHERE proposal_id = $1 AND state = 'proposed'
        RETURNING rollout_id AS "rolloutId", stage_id AS "stageId", threshold`,
      [input.proposalId, input.decision === 'approve' ? 'approved' : 'rejected', input.by, input.role, input.comment ?? null],
    );
    const row = updated.rows[0];
    // Nothing was changed: committing the empty transaction is the same as rolling it back.
    if (!row) return undefined;
    if (input.decision === 'approve') {
      await client.query(
        `INSERT INTO stage_thresholds (proposal_id, rollout_id, stage_id, threshold, effective_from) VALUES ($1, $2, $3, $4, now())`,
        [input.proposalId, row.rolloutId, row.stageId, row.threshold],
      );
    }
    return getProposal(client, input.proposalId);
  });
}
