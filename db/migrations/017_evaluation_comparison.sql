-- A comparison criterion's test statistics (estimate, interval, p-value, sample sizes, look) and
-- the window its reference group was read over; null for threshold and baseline criteria.
ALTER TABLE evaluations ADD COLUMN comparison jsonb;
ALTER TABLE evaluations ADD COLUMN reference_from timestamptz;
ALTER TABLE evaluations ADD COLUMN reference_to timestamptz;
