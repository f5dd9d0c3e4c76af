-- Decisions a model's service submits while a stage runs: one row per decisionId, written
-- before the service gets its answer. The row records what was in force when the decision was
-- made (stage, plan version, threshold), so later calibrations never rewrite history.
-- seq orders the task list; request_digest detects a conflicting repeat of a decisionId.
-- The row is kept narrow, as WAL volume bounds the insert rate: the plan name comes from the
-- rollout, defer_to and safe_default are set for deferred decisions only, and rollout_id has no
-- foreign key (the insert reads the rollout row itself, and rollouts are never removed).
CREATE TABLE decisions (
  decision_id           text PRIMARY KEY,
  seq                   bigserial NOT NULL,
  rollout_id            text NOT NULL,
  plan_version          integer NOT NULL,
  stage_id              text NOT NULL,
  stage_mode            text NOT NULL,
  kind                  text NOT NULL,
  confidence            double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  irreversible          boolean NOT NULL,
  decide_by             timestamptz NOT NULL,
  recommendation        jsonb NOT NULL,
  request_digest        text NOT NULL,
  -- threshold in force (NULL: the stage has none, every decision is confident);
  -- threshold_proposal_id names the approved calibration it came from, NULL for the plan's own.
  threshold             double precision CHECK (threshold >= 0 AND threshold <= 1),
  threshold_proposal_id text,
  -- confident: confidence >= threshold. In a shadow stage it says what would have been deferred.
  confident             boolean NOT NULL,
  disposition           text NOT NULL CHECK (disposition IN ('auto', 'deferred', 'shadow')),
  state                 text NOT NULL CHECK (state IN ('auto', 'shadow', 'pending', 'resolved', 'timed-out')),
  -- defer_to is the role that decides; safe_default the plan's, downgraded to hold when irreversible.
  defer_to              text,
  safe_default          text CHECK (safe_default IN ('hold', 'escalate', 'execute')),
  requested_by          text NOT NULL,
  request_id            text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  -- set by the deferred-decision workflow once it runs; reconciliation restarts missing timers.
  timer_started_at      timestamptz,
  resolution            text CHECK (resolution IN ('accept', 'modify', 'reject')),
  resolution_payload    jsonb,
  resolution_reason     text,
  resolved_by           text,
  resolved_role         text,
  resolution_request_id text,
  timeout_action        text CHECK (timeout_action IN ('hold', 'escalate', 'execute')),
  settled_at            timestamptz,
  CHECK ((state = 'pending') = (disposition = 'deferred' AND settled_at IS NULL)),
  CHECK ((state = 'resolved') = (resolution IS NOT NULL AND resolved_by IS NOT NULL)),
  CHECK ((state = 'timed-out') = (timeout_action IS NOT NULL)),
  CHECK ((resolution = 'modify') = (resolution_payload IS NOT NULL)),
  CHECK (timeout_action <> 'execute' OR NOT irreversible),
  CHECK ((disposition = 'deferred') = (defer_to IS NOT NULL AND safe_default IS NOT NULL))
);
CREATE INDEX decisions_stage ON decisions (rollout_id, stage_id, created_at);
CREATE INDEX decisions_pending ON decisions (defer_to, seq) WHERE state = 'pending';

-- Outcomes: whether a decision (automatic or human) turned out right, as observed in production.
CREATE TABLE decision_outcomes (
  decision_id  text PRIMARY KEY REFERENCES decisions (decision_id),
  correct      boolean NOT NULL,
  observed_at  timestamptz NOT NULL,
  detail       jsonb,
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Proposals: changes computed by rollgate that take effect only once a stage approver signs
-- them off. kind 'confidence-threshold' carries a calibrated threshold and its evidence.
CREATE TABLE proposals (
  proposal_id        text PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('confidence-threshold')),
  rollout_id         text NOT NULL REFERENCES rollouts (rollout_id),
  stage_id           text NOT NULL,
  plan_name          text NOT NULL,
  plan_version       integer NOT NULL,
  data_stage_id      text NOT NULL,
  -- source: pilot when computed from a pilot stage's outcomes.
  source             text NOT NULL CHECK (source IN ('production', 'pilot')),
  allow_pilot_data   boolean NOT NULL DEFAULT false,
  threshold          double precision NOT NULL CHECK (threshold >= 0 AND threshold <= 1),
  previous_threshold double precision,
  target_precision   double precision NOT NULL,
  min_outcomes       integer NOT NULL,
  evidence           jsonb NOT NULL,
  state              text NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'approved', 'rejected')),
  proposed_by        text NOT NULL,
  proposed_at        timestamptz NOT NULL DEFAULT now(),
  decided_by         text,
  decided_role       text,
  decision_comment   text,
  decided_at         timestamptz,
  CHECK ((state = 'proposed') = (decided_by IS NULL))
);
CREATE INDEX proposals_stage ON proposals (rollout_id, stage_id, proposed_at);

-- Approved thresholds, append-only. A decision uses the latest one effective at its creation,
-- else the plan's confidenceThreshold.
CREATE TABLE stage_thresholds (
  proposal_id    text PRIMARY KEY REFERENCES proposals (proposal_id),
  rollout_id     text NOT NULL,
  stage_id       text NOT NULL,
  threshold      double precision NOT NULL CHECK (threshold >= 0 AND threshold <= 1),
  effective_from timestamptz NOT NULL
);
CREATE INDEX stage_thresholds_current ON stage_thresholds (rollout_id, stage_id, effective_from DESC);

CREATE TRIGGER stage_thresholds_append_only BEFORE UPDATE OR DELETE ON stage_thresholds
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER stage_thresholds_no_truncate BEFORE TRUNCATE ON stage_thresholds
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change();
