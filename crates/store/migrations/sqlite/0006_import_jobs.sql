-- Imports through the API: the uploaded file, how far it got, and the result of every row,
-- each batch's results written in the same transaction as the customers they report on.

CREATE TABLE import_jobs (
    id           INTEGER PRIMARY KEY,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    file_name    TEXT NOT NULL,
    file         BLOB NOT NULL,
    mapping      TEXT NOT NULL,     -- JSON array of "col=field"
    dry_run      INTEGER NOT NULL,
    status       TEXT NOT NULL,     -- queued | running | done | failed
    total_rows   INTEGER NOT NULL,
    rows_done    INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL DEFAULT 0,
    duplicate    INTEGER NOT NULL DEFAULT 0,
    suspected    INTEGER NOT NULL DEFAULT 0,
    errors       INTEGER NOT NULL DEFAULT 0,
    message      TEXT,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    lease_until  TEXT
);
CREATE INDEX import_jobs_status ON import_jobs (status, id);
CREATE INDEX import_jobs_owner ON import_jobs (owner_id);

CREATE TABLE import_results (
    job_id               INTEGER NOT NULL REFERENCES import_jobs (id),
    row_no               INTEGER NOT NULL,
    status               TEXT NOT NULL,
    customer_id          INTEGER,
    matched_customer_id  INTEGER,
    owner                TEXT NOT NULL,
    message              TEXT NOT NULL,
    PRIMARY KEY (job_id, row_no)
) WITHOUT ROWID;
