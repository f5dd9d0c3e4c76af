-- Every appended audit event notifies channel rollgate_audit_events when its transaction commits,
-- with {"rolloutId": …, "seq": …} as payload, so that API processes streaming a rollout's trail
-- (GET /v1/rollouts/:id/events as text/event-stream) read the new events at once instead of polling.
CREATE FUNCTION notify_audit_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollgate_audit_events', json_build_object('rolloutId', NEW.rollout_id, 'seq', NEW.seq)::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER audit_events_notify
  AFTER INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION notify_audit_event();
