-- The inbox's index: per open rollout, the things in its status snapshot that may wait for
-- someone (a stage, site or wave sign-off, a prerequisite, a held stage), with who might act on
-- each as holder keys: `principal:<name>` for members of a role the plan declares, `role:<role>`
-- for a token role, `admin`. It is rewritten in the transaction that stores the snapshot
-- (db/audit.ts), so GET /v1/inbox narrows the rollouts to check by the caller's keys in SQL and
-- checks only those exactly (api/inbox-routes.ts).
CREATE TABLE inbox_candidates (
  rollout_id text NOT NULL REFERENCES rollouts (rollout_id),
  item_key   text NOT NULL,
  kind       text NOT NULL,
  holders    text[] NOT NULL,
  since      timestamptz NOT NULL,
  PRIMARY KEY (rollout_id, item_key)
);
CREATE INDEX inbox_candidates_holders ON inbox_candidates USING gin (holders);

-- Snapshots stored before this table existed: checked for everyone ('*') until their next event rewrites them.
INSERT INTO inbox_candidates (rollout_id, item_key, kind, holders, since)
SELECT rollout_id, 'snapshot', 'snapshot', '{*}', updated_at
  FROM rollouts WHERE status IS NOT NULL AND state IN ('running', 'paused', 'held');
