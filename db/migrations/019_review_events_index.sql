-- The inbox's steady-state reviews are read from the audit trail: the events that open, sign and
-- end a stage's reviews. This partial index keeps that read to those few rows of open rollouts.
CREATE INDEX audit_events_review_tasks ON audit_events (rollout_id, seq)
  WHERE type IN ('review.opened', 'review.signed', 'steady-state.started', 'steady-state.settled');
