-- Webhook deliveries: one row per attempt to deliver an event to a notification target.
-- delivery_id is the sender's idempotency key (also sent as Rollgate-Delivery); attempt is the
-- activity attempt that made the request. seq orders attempts independently of worker clocks.
CREATE TABLE webhook_deliveries (
  seq           bigserial PRIMARY KEY,
  delivery_id   text NOT NULL,
  rollout_id    text NOT NULL,
  url           text NOT NULL,
  event_type    text NOT NULL,
  attempt       integer NOT NULL CHECK (attempt > 0),
  status        text NOT NULL CHECK (status IN ('delivered', 'failed')),
  http_status   integer,
  error         text,
  -- error_type is the failure's type (WebhookRejected, ...); gave_up says no further attempt follows.
  error_type    text,
  gave_up       boolean NOT NULL DEFAULT false,
  attempted_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'failed' OR (error IS NULL AND error_type IS NULL AND NOT gave_up))
);
CREATE INDEX webhook_deliveries_rollout ON webhook_deliveries (rollout_id, seq);
CREATE INDEX webhook_deliveries_delivery ON webhook_deliveries (delivery_id, seq);
