-- An Idempotency-Key of a human action (sign-off, override, resolution, review, model version)
-- is claimed with the digest of its request before the action runs, and keeps the action's
-- answer once it succeeded: the same key with the same request answers that again; with another
-- request it is refused. Keys are scoped to the principal and the rollout.
CREATE TABLE idempotency_keys (
  principal       text NOT NULL,
  rollout_id      text NOT NULL,
  idempotency_key text NOT NULL,
  request_digest  text NOT NULL,
  response        jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  PRIMARY KEY (principal, rollout_id, idempotency_key)
);
