-- Collision cases opened by a migration: a company that the previous CRM gave to two reps
-- (several rows with different owners). SQLite cannot change a CHECK constraint in place: the
-- table is rebuilt with the same columns.

CREATE TABLE collision_cases_new (
    id                  INTEGER PRIMARY KEY,
    origin              TEXT NOT NULL CHECK (origin IN ('suspected_entry', 'appeal', 'batch_scan', 'update', 'migration')),
    status              TEXT NOT NULL CHECK (status IN ('open', 'decided')),
    -- The customer entered first, and the other one (NULL for an appeal: the blocked entry
    -- was never saved; its fields are in `entered`).
    first_customer_id   INTEGER NOT NULL REFERENCES customers (id),
    second_customer_id  INTEGER REFERENCES customers (id),
    -- The two reps: the first customer's owner, and the second's owner or the appellant.
    first_user_id       INTEGER NOT NULL REFERENCES users (id),
    second_user_id      INTEGER NOT NULL REFERENCES users (id),
    -- Both reps' team: its managers decide. NULL: a cross-team case, for admins.
    team_id             INTEGER REFERENCES teams (id),
    entered             TEXT,            -- JSON customer fields (appeals)
    score               REAL,
    verdict             TEXT,
    reasons             TEXT NOT NULL,   -- JSON array of match reasons
    reason              TEXT,            -- the appellant's reason
    opened_by           INTEGER NOT NULL REFERENCES users (id),
    opened_at           TEXT NOT NULL,
    -- "<first>:<second>" or "<first>:appeal:<user>": one open case per pair
    pair_key            TEXT NOT NULL,
    decided_by          INTEGER REFERENCES users (id),
    decided_at          TEXT,
    winner_id           INTEGER REFERENCES users (id),
    decision_rule       TEXT,
    decision_reason     TEXT,
    merged              INTEGER
);
INSERT INTO collision_cases_new SELECT * FROM collision_cases;
DROP TABLE collision_cases;
ALTER TABLE collision_cases_new RENAME TO collision_cases;
CREATE UNIQUE INDEX collision_cases_open_pair ON collision_cases (pair_key) WHERE status = 'open';
CREATE INDEX collision_cases_pair ON collision_cases (pair_key);
CREATE INDEX collision_cases_status ON collision_cases (status, team_id, id);
