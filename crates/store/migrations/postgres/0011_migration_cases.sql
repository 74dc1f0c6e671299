-- Collision cases opened by a migration: a company that the previous CRM gave to two reps
-- (several rows with different owners).
ALTER TABLE collision_cases DROP CONSTRAINT collision_cases_origin_check;
ALTER TABLE collision_cases ADD CONSTRAINT collision_cases_origin_check
    CHECK (origin IN ('suspected_entry', 'appeal', 'batch_scan', 'update', 'migration'));
