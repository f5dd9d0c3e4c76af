-- Evidence: what services and people report about a rollout, stored as facts (append-only).
-- Which stage a row counts toward is decided when criteria are evaluated, by its time.
-- reported_by is the authenticated principal that sent the row; request_id the API request.

-- Metric samples. sample_id, when given, makes a re-sent sample count once per rollout.
CREATE TABLE metric_samples (
  seq          bigserial PRIMARY KEY,
  rollout_id   text NOT NULL REFERENCES rollouts (rollout_id),
  metric       text NOT NULL,
  -- Finite only: NaN compares greater than every number in PostgreSQL, so this excludes it too.
  value        double precision NOT NULL CHECK (value > '-Infinity' AND value < 'Infinity'),
  observed_at  timestamptz NOT NULL,
  scope        jsonb NOT NULL DEFAULT '{}'::jsonb,
  sample_id    text,
  reported_by  text NOT NULL,
  request_id   text,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rollout_id, sample_id)
);
CREATE INDEX metric_samples_window ON metric_samples (rollout_id, metric, observed_at);

-- The model's recommendations: a concrete action due by a time.
CREATE TABLE recommendations (
  rollout_id         text NOT NULL REFERENCES rollouts (rollout_id),
  recommendation_id  text NOT NULL,
  stage_id           text,
  action             text NOT NULL CHECK (btrim(action) <> ''),
  due_by             timestamptz NOT NULL,
  confidence         double precision CHECK (confidence >= 0 AND confidence <= 1),
  scope              jsonb NOT NULL DEFAULT '{}'::jsonb,
  issued_at          timestamptz NOT NULL,
  reported_by        text NOT NULL,
  request_id         text,
  recorded_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, recommendation_id),
  CHECK (due_by > issued_at)
);
CREATE INDEX recommendations_issued ON recommendations (rollout_id, issued_at);

-- What really happened: one outcome per recommendation. occurred = the predicted problem was real.
CREATE TABLE recommendation_outcomes (
  rollout_id         text NOT NULL,
  recommendation_id  text NOT NULL,
  occurred           boolean NOT NULL,
  observed_at        timestamptz NOT NULL,
  detail             text,
  reported_by        text NOT NULL,
  request_id         text,
  recorded_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, recommendation_id),
  FOREIGN KEY (rollout_id, recommendation_id) REFERENCES recommendations (rollout_id, recommendation_id)
);
CREATE INDEX recommendation_outcomes_observed ON recommendation_outcomes (rollout_id, observed_at);

-- Operators' responses. A recommendation may get several (deferred, then acted); the latest counts.
CREATE TABLE recommendation_feedback (
  seq                bigserial PRIMARY KEY,
  rollout_id         text NOT NULL,
  recommendation_id  text NOT NULL,
  response           text NOT NULL CHECK (response IN ('acted', 'deferred', 'dismissed', 'override')),
  given_by           text NOT NULL,
  reason             text,
  given_at           timestamptz NOT NULL,
  reported_by        text NOT NULL,
  request_id         text,
  recorded_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (rollout_id, recommendation_id) REFERENCES recommendations (rollout_id, recommendation_id),
  -- The same response by the same person at the same time is one response, however often it is sent.
  UNIQUE (rollout_id, recommendation_id, response, given_by, given_at)
);

-- Real problems the model did not recommend anything for: the misses that recall counts.
CREATE TABLE missed_events (
  rollout_id   text NOT NULL REFERENCES rollouts (rollout_id),
  event_id     text NOT NULL,
  observed_at  timestamptz NOT NULL,
  detail       text,
  scope        jsonb NOT NULL DEFAULT '{}'::jsonb,
  reported_by  text NOT NULL,
  request_id   text,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, event_id)
);
CREATE INDEX missed_events_observed ON missed_events (rollout_id, observed_at);

-- Criterion evaluations: one row per criterion of each stage evaluation. evaluation_id is the
-- workflow's idempotency key: a retried evaluation is stored once, and the first answer stands.
CREATE TABLE evaluations (
  rollout_id          text NOT NULL,
  evaluation_id       text NOT NULL,
  criterion_index     integer NOT NULL CHECK (criterion_index >= 0),
  stage_id            text NOT NULL,
  plan_version        integer NOT NULL,
  metric              text NOT NULL,
  verdict             text NOT NULL CHECK (verdict IN ('pass', 'fail', 'inconclusive')),
  stage_verdict       text NOT NULL CHECK (stage_verdict IN ('pass', 'fail', 'inconclusive')),
  reason              text NOT NULL,
  value               double precision,
  op                  text NOT NULL,
  threshold           double precision,
  samples             integer NOT NULL,
  consecutive_passes  integer NOT NULL,
  window_from         timestamptz NOT NULL,
  window_to           timestamptz NOT NULL,
  baseline_from       timestamptz,
  baseline_to         timestamptz,
  baseline_value      double precision,
  baseline_samples    integer,
  evaluated_at        timestamptz NOT NULL,
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, evaluation_id, criterion_index)
);
CREATE INDEX evaluations_stage ON evaluations (rollout_id, stage_id, evaluated_at DESC);

CREATE TRIGGER metric_samples_append_only BEFORE UPDATE OR DELETE ON metric_samples
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER recommendations_append_only BEFORE UPDATE OR DELETE ON recommendations
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER recommendation_outcomes_append_only BEFORE UPDATE OR DELETE ON recommendation_outcomes
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER recommendation_feedback_append_only BEFORE UPDATE OR DELETE ON recommendation_feedback
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER missed_events_append_only BEFORE UPDATE OR DELETE ON missed_events
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER evaluations_append_only BEFORE UPDATE OR DELETE ON evaluations
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
