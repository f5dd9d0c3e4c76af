-- Audit entries that belong to no rollout: refusals before a rollout exists (a plan upload, a
-- rollout start) and reads of this trail. plan_name is the plan the attempt named, when it named
-- one; NULL marks a system-level event. Append-only like audit_events; seq orders the trail.
CREATE TABLE system_audit_events (
  seq          bigserial PRIMARY KEY,
  plan_name    text,
  type         text NOT NULL,
  actor        text,
  role         text,
  reason       text,
  request_id   text,
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_audit_events_plan ON system_audit_events (plan_name, seq);

CREATE TRIGGER system_audit_events_append_only BEFORE UPDATE OR DELETE ON system_audit_events
  FOR EACH ROW EXECUTE FUNCTION rollgate_refuse_change();
CREATE TRIGGER system_audit_events_no_truncate BEFORE TRUNCATE ON system_audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION rollgate_refuse_change();
