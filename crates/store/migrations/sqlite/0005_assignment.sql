-- Assignment rules (分配规则), their versions, round-robin state and every decision made;
-- scheduled reports.

ALTER TABLE users ADD COLUMN on_leave INTEGER NOT NULL DEFAULT 0;

CREATE TABLE assignment_rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,   -- 1, 2, 3 … in evaluation order
    conditions  TEXT NOT NULL,      -- JSON "when"
    team_id     INTEGER REFERENCES teams (id),
    reps        TEXT NOT NULL,      -- JSON array of user ids (explicit reps, by seniority)
    weights     TEXT NOT NULL,      -- JSON object: user id -> weight
    strategy    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users (id),
    updated_at  TEXT NOT NULL
);

CREATE TABLE assignment_rule_versions (
    rule_id     INTEGER NOT NULL REFERENCES assignment_rules (id),
    version     INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,      -- JSON of the rule as saved
    changed_by  INTEGER NOT NULL REFERENCES users (id),
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- Smooth weighted round-robin state per rule and rep: shared by every serve process.
CREATE TABLE assignment_rotation (
    rule_id  INTEGER NOT NULL REFERENCES assignment_rules (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    current  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, user_id)
);

CREATE TABLE assignment_decisions (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    customer_id   INTEGER REFERENCES customers (id),
    rule_id       INTEGER REFERENCES assignment_rules (id),
    rule_version  INTEGER,
    strategy      TEXT,
    user_id       INTEGER REFERENCES users (id),
    outcome       TEXT NOT NULL,    -- assigned, pool, duplicate_owned, pool_routed
    explanation   TEXT NOT NULL,
    lead          TEXT NOT NULL,    -- JSON: the facts the rules looked at
    actor_id      INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX assignment_decisions_rule ON assignment_decisions (rule_id, id);
CREATE INDEX assignment_decisions_at ON assignment_decisions (at);

-- Scheduled reports already sent: one row per kind and period, so that several processes
-- send each report once.
CREATE TABLE scheduled_reports (
    kind          TEXT NOT NULL,
    period_start  TEXT NOT NULL,    -- YYYY-MM-DD
    sent_at       TEXT NOT NULL,
    PRIMARY KEY (kind, period_start)
);
