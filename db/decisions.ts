import type { Pool } from 'pg';
import type { StageMode } from '../definitions/schema';

/**
 * Decisions, deferred to humans or not, and their outcomes (migration 004_decisions.sql). A decision row is written once, by one statement (shared with the
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
