import type { Pool, PoolClient } from 'pg';
import type { StageMode } from '../definitions/schema';
import type { CalibrationSample } from '../policy/calibration';
import type { AuditEvent } from './audit';
import { withTransaction } from './pool';

/**
 * Decisions deferred to humans, their outcomes, and calibrated thresholds (migration
 * 004_decisions.sql). A decision row is written once, by one statement (shared with the
 * decisions submitted alongside it, db/decision-writer.ts), before the service that submitted it
 * gets its answer; later changes only settle it (resolution or timeout, each
 * `WHERE state = 'pending'`, so the database decides a race between them).
 */

export const Disposition = { auto: 'auto', deferred: 'deferred', shadow: 'shadow' } as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/** DecisionState: auto and shadow are final at once; pending ends resolved or timed-out. */
export const DecisionState = { auto: 'auto', shadow: 'shadow', pending: 'pending', resolved: 'resolved', timedOut: 'timed-out' } as const;
export type DecisionState = (typeof DecisionState)[keyof typeof DecisionState];

export type Resolution = 'accept' | 'modify' | 'reject';
export type SafeDefault = 'hold' | 'escalate' | 'execute';

/** The audit event types of a deferred decision's life; webhook delivery can subscribe to them. */
export const DecisionEvent = {
  deferred: 'decision.deferred',
  resolved: 'decision.resolved',
  timedOut: 'decision.timed-out',
} as const;
export type DecisionEvent = (typeof DecisionEvent)[keyof typeof DecisionEvent];

/** decisionPath is where a decision (and, while pending, its human task) is read. */
export const decisionPath = (decisionId: string) => `/v1/decisions/${encodeURIComponent(decisionId)}`;

export interface DecisionRow {
  decisionId: string;
  seq: number;
  rolloutId: string;
  planName: string;
  planVersion: number;
  stageId: string;
  stageMode: StageMode;
  kind: string;
  confidence: number;
  irreversible: boolean;
  decideBy: Date;
  recommendation: unknown;
  requestDigest: string;
  threshold: number | null;
  thresholdProposalId: string | null;
  confident: boolean;
  disposition: Disposition;
  state: DecisionState;
  /** deferTo and safeDefault are set for deferred decisions only. */
  deferTo: string | null;
  safeDefault: SafeDefault | null;
  requestedBy: string;
  requestId: string | null;
  createdAt: Date;
  timerStartedAt: Date | null;
  resolution: Resolution | null;
  resolutionPayload: unknown;
  resolutionReason: string | null;
  resolvedBy: string | null;
  resolvedRole: string | null;
  resolutionRequestId: string | null;
  timeoutAction: SafeDefault | null;
  settledAt: Date | null;
}

export interface OutcomeRow {
  correct: boolean;
  observedAt: Date;
  detail: unknown;
  recordedBy: string;
  recordedAt: Date;
}

const DECISION_COLUMNS = `decision_id AS "decisionId", seq::float8 AS seq, rollout_id AS "rolloutId",
  (SELECT r.plan_name FROM rollouts r WHERE r.rollout_id = decisions.rollout_id) AS "planName", plan_version AS "planVersion", stage_id AS "stageId", stage_mode AS "stageMode", kind, confidence, irreversible,
  decide_by AS "decideBy", recommendation, request_digest AS "requestDigest", threshold,
  threshold_proposal_id AS "thresholdProposalId", confident, disposition, state, defer_to AS "deferTo",
  safe_default AS "safeDefault", requested_by AS "requestedBy", request_id AS "requestId", created_at AS "createdAt",
  timer_started_at AS "timerStartedAt", resolution, resolution_payload AS "resolutionPayload",
  resolution_reason AS "resolutionReason", resolved_by AS "resolvedBy", resolved_role AS "resolvedRole",
  resolution_request_id AS "resolutionRequestId", timeout_action AS "timeoutAction", settled_at AS "settledAt"`;

// ── The hot path ────────────────────────────────────────────────────────────────────────

/** RolloutContext is what the hot path needs to know about a rollout besides its plan. */
export interface RolloutContext {
  planName: string;
  planVersion: number;
  activeStages: string[];
  /** startedAt maps each active stage to when it started, from the registry's status snapshot. */
  startedAt: Record<string, string>;
}

/** loadRolloutContext reads a rollout's plan version and active stages; undefined when unknown. */
export async function loadRolloutContext(pool: Pool, rolloutId: string): Promise<RolloutContext | undefined> {
  const result = await pool.query<RolloutContext>(
    `SELECT plan_name AS "planName", plan_version AS "planVersion", active_stages AS "activeStages",
            (SELECT COALESCE(jsonb_object_agg(s ->> 'id', s ->> 'startedAt'), '{}'::jsonb)
               FROM jsonb_array_elements(COALESCE(status -> 'stages', '[]'::jsonb)) s
              WHERE s ->> 'id' = ANY (active_stages) AND s ? 'startedAt') AS "startedAt"
       FROM rollouts WHERE rollout_id = $1`,
    [rolloutId],
  );
  return result.rows[0];
}

export interface NewDecision {
  decisionId: string;
  rolloutId: string;
  /** expectedActiveStages is the rollout's active_stages the stage was chosen from; the insert checks it. */
  expectedActiveStages: string[];
  planVersion: number;
  stageId: string;
  stageMode: StageMode;
  /** planThreshold applies unless an approved calibration is in force. */
  planThreshold: number | undefined;
  kind: string;
  confidence: number;
  irreversible: boolean;
  decideBy: string;
  /** recommendation is the payload as JSON text. */
  recommendation: string;
  requestDigest: string;
  /** deferTo and safeDefault apply if the decision is deferred. */
  deferTo: string;
  safeDefault: SafeDefault;
  requestedBy: string;
  requestId: string;
}

/** DecisionAnswer is the part of a decision row the submitting service is answered with. */
export interface DecisionAnswer {
  decisionId: string;
  rolloutId: string;
  stageId: string;
  disposition: Disposition;
  state: DecisionState;
  threshold: number | null;
  decideBy: Date;
  deferTo: string | null;
  requestDigest: string;
}

const ANSWER_COLUMNS = `decision_id AS "decisionId", rollout_id AS "rolloutId", stage_id AS "stageId", disposition, state,
  threshold, decide_by AS "decideBy", defer_to AS "deferTo", request_digest AS "requestDigest"`;

export async function getDecisionAnswer(pool: Pool, decisionId: string): Promise<DecisionAnswer | undefined> {
  return (await getDecisionAnswers(pool, [decisionId]))[0];
}

export async function getDecisionAnswers(pool: Pool, decisionIds: readonly string[]): Promise<DecisionAnswer[]> {
  const result = await pool.query<DecisionAnswer>(`SELECT ${ANSWER_COLUMNS} FROM decisions WHERE decision_id = ANY ($1::text[])`, [decisionIds]);
  return result.rows;
}

// ── Reading and settling ────────────────────────────────────────────────────────────────

export interface DecisionWithOutcome extends DecisionRow {
  outcome: OutcomeRow | null;
}

const OUTCOME_JSON = `(SELECT json_build_object('correct', o.correct, 'observedAt', o.observed_at, 'detail', o.detail,
    'recordedBy', o.recorded_by, 'recordedAt', o.recorded_at) FROM decision_outcomes o WHERE o.decision_id = decisions.decision_id) AS outcome`;

export async function getDecision(pool: Pool, decisionId: string): Promise<DecisionWithOutcome | undefined> {
  const result = await pool.query<DecisionWithOutcome>(`SELECT ${DECISION_COLUMNS}, ${OUTCOME_JSON} FROM decisions WHERE decision_id = $1`, [
    decisionId,
  ]);
  const row = result.rows[0];
  return row && { ...row, outcome: row.outcome && parseOutcome(row.outcome) };
}

export interface DecisionFilter {
  state?: DecisionState;
  role?: string;
  rolloutId?: string;
  stageId?: string;
  after: number;
  limit: number;
}

/** listDecisions pages through decisions in the order they were made: seq > after, at most limit. */
export async function listDecisions(pool: Pool, filter: DecisionFilter): Promise<DecisionWithOutcome[]> {
  const result = await pool.query<DecisionWithOutcome>(
    `SELECT ${DECISION_COLUMNS}, ${OUTCOME_JSON} FROM decisions
      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR defer_to = $2)
        AND ($3::text IS NULL OR rollout_id = $3) AND ($4::text IS NULL OR stage_id = $4) AND seq > $5
      ORDER BY seq LIMIT $6`,
    [filter.state ?? null, filter.role ?? null, filter.rolloutId ?? null, filter.stageId ?? null, filter.after, filter.limit],
  );
  return result.rows.map((row) => ({ ...row, outcome: row.outcome && parseOutcome(row.outcome) }));
}

export interface ResolutionInput {
  decisionId: string;
  resolution: Resolution;
  payload?: unknown;
  reason?: string;
  by: string;
  role: string;
  requestId: string;
}

/**
 * resolveDecision applies a human's resolution to a pending decision whose decideBy has not
 * passed. undefined when it is not pending any more, or moot: the caller reads the row to say why.
 */
export async function resolveDecision(pool: Pool, input: ResolutionInput): Promise<DecisionRow | undefined> {
  const result = await pool.query<DecisionRow>(
    `UPDATE decisions
        SET state = 'resolved', resolution = $2, resolution_payload = $3::jsonb, resolution_reason = $4, resolved_by = $5,
            resolved_role = $6, resolution_request_id = $7, settled_at = now()
      WHERE decision_id = $1 AND state = 'pending' AND decide_by > now()
      RETURNING ${DECISION_COLUMNS}`,
    [
      input.decisionId,
      input.resolution,
      input.payload === undefined ? null : JSON.stringify(input.payload),
      input.reason ?? null,
      input.by,
      input.role,
      input.requestId,
    ],
  );
  return result.rows[0];
}

/** timeOutDecision applies the decision's safe default if it is still pending; the row as it ends up. */
export async function timeOutDecision(pool: Pool, decisionId: string): Promise<DecisionRow | undefined> {
  const result = await pool.query<DecisionRow>(
    `WITH settled AS (
       UPDATE decisions SET state = 'timed-out', timeout_action = safe_default, settled_at = now()
        WHERE decision_id = $1 AND state = 'pending' RETURNING ${DECISION_COLUMNS})
     SELECT * FROM settled
     UNION ALL
     SELECT ${DECISION_COLUMNS} FROM decisions WHERE decision_id = $1 AND NOT EXISTS (SELECT 1 FROM settled)`,
    [decisionId],
  );
  return result.rows[0];
}

/** markTimerStarted notes that the decision's deadline timer runs; the first note is kept. */
export async function markTimerStarted(pool: Pool, decisionId: string): Promise<DecisionRow | undefined> {
  const result = await pool.query<DecisionRow>(
    `UPDATE decisions SET timer_started_at = COALESCE(timer_started_at, now()) WHERE decision_id = $1 RETURNING ${DECISION_COLUMNS}`,
    [decisionId],
  );
  return result.rows[0];
}

/** pendingWithoutTimer lists pending decisions whose timer never reported running, oldest first. */
export async function pendingWithoutTimer(pool: Pool, limit: number): Promise<DecisionRow[]> {
  const result = await pool.query<DecisionRow>(
    `SELECT ${DECISION_COLUMNS} FROM decisions WHERE state = 'pending' AND timer_started_at IS NULL ORDER BY seq LIMIT $1`,
    [limit],
  );
  return result.rows;
}

export interface NewOutcome {
  decisionId: string;
  correct: boolean;
  observedAt: string;
  detail?: unknown;
  recordedBy: string;
}

/** recordOutcome stores a decision's outcome once; the stored outcome and whether this call stored it. */
export async function recordOutcome(pool: Pool, outcome: NewOutcome): Promise<{ inserted: boolean; outcome: OutcomeRow }> {
  const result = await pool.query<OutcomeRow & { inserted: boolean }>(
    `WITH inserted AS (
       INSERT INTO decision_outcomes (decision_id, correct, observed_at, detail, recorded_by)
       VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (decision_id) DO NOTHING
       RETURNING correct, observed_at AS "observedAt", detail, recorded_by AS "recordedBy", recorded_at AS "recordedAt")
     SELECT true AS inserted, * FROM inserted
     UNION ALL
     SELECT false, correct, observed_at, detail, recorded_by, recorded_at FROM decision_outcomes
      WHERE decision_id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [outcome.decisionId, outcome.correct, outcome.observedAt, outcome.detail === undefined ? null : JSON.stringify(outcome.detail), outcome.recordedBy],
  );
  const { inserted, ...stored } = result.rows[0]!;
  return { inserted, outcome: stored };
}

function parseOutcome(raw: OutcomeRow): OutcomeRow {
  return { ...raw, observedAt: new Date(raw.observedAt), recordedAt: new Date(raw.recordedAt) };
}

// ── Audit events ────────────────────────────────────────────────────────────────────────

/**
 * decisionAuditEvent describes a deferred decision's deferral or settlement for the audit trail.
 * It is built from the row alone, so the API and the workflow write identical events, and the
 * eventId (decision:<id>:<step>) lets either write first.
 */
export function decisionAuditEvent(row: DecisionRow, type: DecisionEvent): AuditEvent {
  const base = {
    eventId: `decision:${row.decisionId}:${type.slice('decision.'.length)}`,
    rolloutId: row.rolloutId,
    planName: row.planName,
    planVersion: row.planVersion,
    stageId: row.stageId,
    type,
  };
  if (type === DecisionEvent.deferred) {
    return {
      ...base,
      actor: row.requestedBy,
      ...(row.deferTo ? { role: row.deferTo } : {}),
      ...(row.requestId ? { requestId: row.requestId } : {}),
      occurredAt: row.createdAt.toISOString(),
      detail: {
        decisionId: row.decisionId,
        kind: row.kind,
        confidence: row.confidence,
        threshold: row.threshold,
        irreversible: row.irreversible,
        decideBy: row.decideBy.toISOString(),
        safeDefault: row.safeDefault,
        taskUrl: decisionPath(row.decisionId),
      },
    };
  }
  if (type === DecisionEvent.resolved) {
    return {
      ...base,
      ...(row.resolvedBy ? { actor: row.resolvedBy } : {}),
      ...(row.resolvedRole ? { role: row.resolvedRole } : {}),
      ...(row.resolutionReason ? { reason: row.resolutionReason } : {}),
      ...(row.resolutionRequestId ? { requestId: row.resolutionRequestId } : {}),
      occurredAt: (row.settledAt ?? row.createdAt).toISOString(),
      detail: {
        decisionId: row.decisionId,
        resolution: row.resolution,
        ...(row.resolution === 'modify' ? { payload: row.resolutionPayload } : {}),
      },
    };
  }
  return {
    ...base,
    actor: 'rollgate',
    ...(row.deferTo ? { role: row.deferTo } : {}),
    reason: `nobody decided by ${row.decideBy.toISOString()}; the safe default ${row.timeoutAction} applies`,
    occurredAt: (row.settledAt ?? row.createdAt).toISOString(),
    detail: { decisionId: row.decisionId, action: row.timeoutAction, decideBy: row.decideBy.toISOString() },
  };
}

/** settlementEvent is the audit event of a settled decision's final state; undefined while unsettled. */
export function settlementEvent(row: DecisionRow): AuditEvent | undefined {
  if (row.state === DecisionState.resolved) return decisionAuditEvent(row, DecisionEvent.resolved);
  if (row.state === DecisionState.timedOut) return decisionAuditEvent(row, DecisionEvent.timedOut);
  return undefined;
}

// ── Built-in metrics ────────────────────────────────────────────────────────────────────

export interface MetricValue {
  value: number | null;
  samples: number;
}

export type DecisionMetrics = Record<'deferral-rate' | 'human-override-rate' | 'auto-decision-accuracy' | 'decision-timeout-count', MetricValue>;

/**
 * decisionMetrics computes the decision built-in metrics of one stage over the decisions made
 * in [from, to), counting only what was known by `to` (resolutions, timeouts and outcomes
 * before it), so a past window evaluates the same later:
 *  - deferral-rate: share of decisions below the threshold (deferred; in a shadow stage, those
 *    that would have been), of all decisions;
 *  - human-override-rate: share of resolved decisions resolved by modify or reject;
 *  - auto-decision-accuracy: share correct of the automatic decisions with an outcome;
 *  - decision-timeout-count: deferred decisions that timed out; samples counts the deferred ones.
 * A rate is null when it has no samples.
 */
export async function decisionMetrics(pool: Pool, rolloutId: string, stageId: string, from: Date, to: Date): Promise<DecisionMetrics> {
  const result = await pool.query<Record<string, number>>(
    `SELECT count(*)::int AS decisions,
            count(*) FILTER (WHERE NOT d.confident)::int AS below,
            count(*) FILTER (WHERE d.state = 'resolved' AND d.settled_at < $4)::int AS resolved,
            count(*) FILTER (WHERE d.resolution IN ('modify', 'reject') AND d.settled_at < $4)::int AS overridden,
            count(*) FILTER (WHERE d.disposition = 'auto' AND o.observed_at < $4)::int AS auto_outcomes,
            count(*) FILTER (WHERE d.disposition = 'auto' AND o.observed_at < $4 AND o.correct)::int AS auto_correct,
            count(*) FILTER (WHERE d.disposition = 'deferred')::int AS deferred,
            count(*) FILTER (WHERE d.state = 'timed-out' AND d.settled_at < $4)::int AS timed_out
       FROM decisions d LEFT JOIN decision_outcomes o USING (decision_id)
      WHERE d.rollout_id = $1 AND d.stage_id = $2 AND d.created_at >= $3 AND d.created_at < $4`,
    [rolloutId, stageId, from, to],
  );
  const c = result.rows[0]!;
  const rate = (part: number, whole: number): MetricValue => ({ value: whole === 0 ? null : part / whole, samples: whole });
  return {
    'deferral-rate': rate(c.below!, c.decisions!),
    'human-override-rate': rate(c.overridden!, c.resolved!),
    'auto-decision-accuracy': rate(c.auto_correct!, c.auto_outcomes!),
    'decision-timeout-count': { value: c.timed_out!, samples: c.deferred! },
  };
}

// ── Calibration ─────────────────────────────────────────────────────────────────────────

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
