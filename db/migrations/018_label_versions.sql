-- The label definition version a recommendation was made under and an outcome was labelled under,
-- for the labelDrift criterion (policy/data-quality.ts). Optional: rows without one are untracked.
ALTER TABLE recommendations ADD COLUMN label_version text;
ALTER TABLE recommendation_outcomes ADD COLUMN label_version text;
