-- Where an import job puts the rows its file gives no owner: `owner` (the job's owner), `pool`
-- or `assign` (the assignment rules); and whether its rows may take an owner over their cap.
ALTER TABLE import_jobs ADD COLUMN placement TEXT NOT NULL DEFAULT 'owner'
    CHECK (placement IN ('owner', 'pool', 'assign'));
ALTER TABLE import_jobs ADD COLUMN ignore_cap BOOLEAN NOT NULL DEFAULT FALSE;
