-- status_seq is the trail sequence (audit_events.seq) of the last event the registry snapshot
-- in rollouts.status follows: the read model's freshness, answered as `asOf`. NULL until the
-- first snapshot written with it.
ALTER TABLE rollouts ADD COLUMN status_seq bigint;
