-- Plans: one row per plan name; its versions are immutable and identified by content digest.
CREATE TABLE plans (
  name        text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plan_versions (
  name        text NOT NULL REFERENCES plans (name),
  version     integer NOT NULL CHECK (version > 0),
  digest      text NOT NULL,
  source      text NOT NULL,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version),
  UNIQUE (name, digest)
);

-- Rollouts: the registry the API lists from. The workflow keeps state and status current.
CREATE TABLE rollouts (
  rollout_id    text PRIMARY KEY,
  workflow_id   text NOT NULL UNIQUE,
  plan_name     text NOT NULL,
  plan_version  integer NOT NULL,
  state         text NOT NULL,
  active_stages text[] NOT NULL DEFAULT '{}',
  status        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (plan_name, plan_version) REFERENCES plan_versions (name, version)
);
CREATE INDEX rollouts_created_at ON rollouts (created_at DESC);

-- Audit trail: append-only. event_id is the writer's idempotency key, so a retried write counts once.
CREATE TABLE audit_events (
  seq           bigserial PRIMARY KEY,
  event_id      text NOT NULL UNIQUE,
  rollout_id    text NOT NULL,
  plan_name     text NOT NULL,
  plan_version  integer NOT NULL,
  stage_id      text,
  type          text NOT NULL,
  actor         text,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at   timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_rollout ON audit_events (rollout_id, seq);

CREATE FUNCTION rollgate_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of % cannot be changed or removed', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER plan_versions_immutable BEFORE UPDATE OR DELETE ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER plan_versions_no_truncate BEFORE TRUNCATE ON plan_versions
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change();
