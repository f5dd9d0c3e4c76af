import { DatabaseError, type Pool } from 'pg';
import { DecisionState, Disposition, getDecisionAnswers, type DecisionAnswer, type NewDecision } from './decisions';

/** Most decisions written by one statement. */
const MAX_BATCH = 256;
/** Most statements under way at once; further decisions queue and go in the next batch. */
const MAX_CONCURRENT_BATCHES = 2;

export type InsertResult = { inserted: boolean; answer: DecisionAnswer } | { stale: true };

/**
 * INSERT_DECISIONS stores a batch of decisions, given as a JSON array, in one statement. For
 * each it reads the threshold in force (the latest approved calibration effective now, else the
 * plan's), decides the disposition (confidence >= threshold is automatic), and inserts it only
 * while its rollout's active_stages are still those its stage was chosen from. It returns the
 * decisions it inserted; a decisionId that is taken, or whose active stages changed, is left
 * out. Rows go in decisionId order, so concurrent batches take key locks in one order.
 */
const INSERT_DECISIONS = `
INSERT INTO decisions (decision_id, rollout_id, plan_version, stage_id, stage_mode, kind, confidence, irreversible, decide_by,
                       recommendation, request_digest, threshold, threshold_proposal_id, confident, disposition, state,
                       defer_to, safe_default, requested_by, request_id)
SELECT d.decision_id, d.rollout_id, d.plan_version, d.stage_id, d.stage_mode, d.kind, d.confidence, d.irreversible, d.decide_by,
       d.recommendation, d.request_digest, t.threshold, cal.proposal_id, t.confident,
       CASE WHEN d.stage_mode = 'shadow' THEN 'shadow' WHEN t.confident THEN 'auto' ELSE 'deferred' END,
       CASE WHEN d.stage_mode = 'shadow' THEN 'shadow' WHEN t.confident THEN 'auto' ELSE 'pending' END,
       CASE WHEN d.stage_mode <> 'shadow' AND NOT t.confident THEN d.defer_to END,
       CASE WHEN d.stage_mode <> 'shadow' AND NOT t.confident THEN d.safe_default END,
       d.requested_by, d.request_id
  FROM jsonb_to_recordset($1::jsonb) AS d (
         decision_id text, rollout_id text, active_stages text[], plan_version integer, stage_id text, stage_mode text,
         plan_threshold double precision, kind text, confidence double precision, irreversible boolean, decide_by timestamptz,
         recommendation jsonb, request_digest text, defer_to text, safe_default text, requested_by text, request_id text)
  JOIN rollouts r ON r.rollout_id = d.rollout_id AND r.active_stages = d.active_stages
  LEFT JOIN LATERAL (
    SELECT s.threshold, s.proposal_id FROM stage_thresholds s
     WHERE s.rollout_id = d.rollout_id AND s.stage_id = d.stage_id AND s.effective_from <= now()
     ORDER BY s.effective_from DESC LIMIT 1) AS cal ON true
 CROSS JOIN LATERAL (SELECT COALESCE(cal.threshold, d.plan_threshold) AS threshold) AS th
 CROSS JOIN LATERAL (SELECT th.threshold, th.threshold IS NULL OR d.confidence >= th.threshold AS confident) AS t
 ORDER BY d.decision_id
ON CONFLICT (decision_id) DO NOTHING
RETURNING decision_id AS "decisionId", disposition, threshold`;

interface Queued {
  decision: NewDecision;
  resolve(result: InsertResult): void;
  reject(error: unknown): void;
}

/**
 * DecisionWriter stores decisions by group commit: decisions submitted while a batch is under
 * way are written together by the next one, one statement and one commit for all of them.
 * insert resolves only once the statement that wrote (or found) the decision has committed.
 *
 * A decisionId already in a batch waits for the next one, so a repeat inside a batch is
 * answered as a repeat of a stored decision. When PostgreSQL refuses a batch, its decisions
 * are written one by one, so only a decision at fault fails; when the database cannot be
 * reached, the whole batch fails.
 */
export class DecisionWriter {
  private queue: Queued[] = [];
  private running = 0;
  private scheduled = false;

  constructor(private readonly pool: Pool) {}

  insert(decision: NewDecision): Promise<InsertResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ decision, resolve, reject });
      this.schedule();
    });
  }

  /** schedule flushes once the current I/O callbacks have run, so decisions arriving together share a batch. */
  private schedule(): void {
    if (this.scheduled || this.running >= MAX_CONCURRENT_BATCHES || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < MAX_CONCURRENT_BATCHES && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.running += 1;
      void this.write(batch).finally(() => {
        this.running -= 1;
        this.schedule();
      });
    }
  }

  /** takeBatch takes up to MAX_BATCH queued decisions with distinct ids; repeats stay queued, in order. */
  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const ids = new Set<string>();
    const rest: Queued[] = [];
    for (const queued of this.queue) {
      const id = queued.decision.decisionId;
      if (batch.length < MAX_BATCH && !ids.has(id)) {
        ids.add(id);
        batch.push(queued);
      } else rest.push(queued);
    }
    this.queue = rest;
    return batch;
  }

  private async write(batch: Queued[]): Promise<void> {
    try {
      const results = await insertDecisions(this.pool, batch.map((queued) => queued.decision));
      batch.forEach((queued, index) => queued.resolve(results[index]!));
    } catch (error) {
      // PostgreSQL refused the statement, perhaps for one decision's content: find out which.
      if (batch.length > 1 && error instanceof DatabaseError) await Promise.all(batch.map((queued) => this.write([queued])));
      else batch.forEach((queued) => queued.reject(error));
    }
  }
}

/**
 * insertDecisions writes decisions with distinct ids in one statement and answers each: the new
 * row's answer, the stored answer of a taken decisionId, or `stale` when the rollout's active
 * stages are no longer those the decision expected.
 */
async function insertDecisions(pool: Pool, decisions: readonly NewDecision[]): Promise<InsertResult[]> {
  const result = await pool.query<{ decisionId: string; disposition: Disposition; threshold: number | null }>({
    name: 'rollgate-insert-decisions',
    text: INSERT_DECISIONS,
    values: [`[${decisions.map(recordJson).join(',')}]`],
  });
  const inserted = new Map(result.rows.map((row) => [row.decisionId, row]));
  const missing = decisions.filter((decision) => !inserted.has(decision.decisionId)).map((decision) => decision.decisionId);
  const stored = new Map(missing.length === 0 ? [] : (await getDecisionAnswers(pool, missing)).map((answer) => [answer.decisionId, answer]));
  return decisions.map((decision) => {
    const row = inserted.get(decision.decisionId);
    if (row) return { inserted: true, answer: answerOf(decision, row.disposition, row.threshold) };
    const answer = stored.get(decision.decisionId);
    return answer ? { inserted: false, answer } : { stale: true };
  });
}

/** recordJson is one element of INSERT_DECISIONS's input; the recommendation is JSON text already. */
function recordJson(decision: NewDecision): string {
  const fields = JSON.stringify({
    decision_id: decision.decisionId,
    rollout_id: decision.rolloutId,
    active_stages: decision.expectedActiveStages,
    plan_version: decision.planVersion,
    stage_id: decision.stageId,
    stage_mode: decision.stageMode,
    plan_threshold: decision.planThreshold ?? null,
    kind: decision.kind,
    confidence: decision.confidence,
    irreversible: decision.irreversible,
    decide_by: decision.decideBy,
    request_digest: decision.requestDigest,
    defer_to: decision.deferTo,
    safe_default: decision.safeDefault,
    requested_by: decision.requestedBy,
    request_id: decision.requestId,
  });
  return `${fields.slice(0, -1)},"recommendation":${decision.recommendation}}`;
}

/** answerOf is the answer of a decision just inserted: what was written, without reading it back. */
function answerOf(decision: NewDecision, disposition: Disposition, threshold: number | null): DecisionAnswer {
  const state: DecisionState = disposition === Disposition.deferred ? DecisionState.pending : disposition;
  return {
    decisionId: decision.decisionId,
    rolloutId: decision.rolloutId,
    stageId: decision.stageId,
    disposition,
    state,
    threshold,
    decideBy: new Date(decision.decideBy),
    deferTo: state === DecisionState.pending ? decision.deferTo : null,
    requestDigest: decision.requestDigest,
  };
}
