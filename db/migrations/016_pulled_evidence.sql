-- Evidence pulled from metric providers (config/providers.ts) when a stage is evaluated: one row per
-- criterion window and evaluation, with the query as run and a digest of the raw answer, so that
-- audit, the console and the simulator can show what a verdict rested on. A retried evaluation
-- replaces its own rows.
CREATE TABLE pulled_evidence (
  seq             bigserial PRIMARY KEY,
  rollout_id      text NOT NULL REFERENCES rollouts (rollout_id),
  evaluation_id   text NOT NULL,
  stage_id        text NOT NULL,
  criterion_index integer NOT NULL,
  -- 'window' or 'baseline': which of the criterion's windows the query read.
  part            text NOT NULL CHECK (part IN ('window', 'baseline')),
  metric          text NOT NULL,
  provider        text NOT NULL,
  kind            text NOT NULL,
  scope           jsonb NOT NULL DEFAULT '{}'::jsonb,
  window_from     timestamptz NOT NULL,
  window_to       timestamptz NOT NULL,
  query           text NOT NULL,
  parameters      jsonb,
  value           double precision CHECK (value > '-Infinity' AND value < 'Infinity'),
  samples         integer,
  observed_at     timestamptz,
  answer_sha256   text,
  error           text,
  attempts        integer NOT NULL,
  pulled_at       timestamptz NOT NULL,
  UNIQUE (rollout_id, evaluation_id, criterion_index, part)
);
-- Freshness of a pulled metric: its newest answer with a value, per scope.
CREATE INDEX pulled_evidence_newest ON pulled_evidence (rollout_id, metric, pulled_at) WHERE value IS NOT NULL;
