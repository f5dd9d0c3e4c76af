-- API tokens: only a SHA-256 hash of each token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
  token_id    text PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  principal   text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('person', 'service')),
  roles       text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_tokens_principal ON api_tokens (principal);

-- Audit entries say which role an action used, why, and which request caused it.
ALTER TABLE audit_events
  ADD COLUMN role text,
  ADD COLUMN reason text,
  ADD COLUMN request_id text;

ALTER TABLE rollouts ADD COLUMN started_by text;
