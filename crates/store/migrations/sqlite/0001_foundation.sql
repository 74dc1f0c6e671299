-- Leadguard foundation schema (SQLite). Timestamps are RFC 3339 text in UTC, which sorts
-- chronologically; booleans are 0/1.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('rep', 'manager', 'admin')),
    team_id       INTEGER REFERENCES teams (id),
    active        INTEGER NOT NULL DEFAULT 1,
    owner_cap     INTEGER CHECK (owner_cap IS NULL OR owner_cap >= 0),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_team ON users (team_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE customers (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('company', 'person')),
    name              TEXT NOT NULL,
    -- folded name (simplified, lower-case, no punctuation) for search
    name_search       TEXT NOT NULL,
    phones            TEXT NOT NULL,  -- JSON array, as entered
    emails            TEXT NOT NULL,  -- JSON array, as entered
    website           TEXT,
    credit_code       TEXT,
    address           TEXT,
    province          TEXT,
    city              TEXT,
    industry          TEXT,
    size              TEXT,
    source            TEXT,
    created_by        INTEGER NOT NULL REFERENCES users (id),
    created_at        TEXT NOT NULL,
    owner_id          INTEGER REFERENCES users (id),
    owned_since       TEXT,
    last_followup_at  TEXT,
    updated_at        TEXT NOT NULL,
    -- the matching engine's normalized view of the record (JSON)
    profile           TEXT NOT NULL,
    CHECK ((owner_id IS NULL) = (owned_since IS NULL))
);
CREATE INDEX customers_owner ON customers (owner_id, id);
CREATE INDEX customers_created ON customers (created_at);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    title        TEXT,
    phones       TEXT NOT NULL,  -- JSON array, as entered
    emails       TEXT NOT NULL   -- JSON array, as entered
);
CREATE INDEX contacts_customer ON contacts (customer_id, position);

-- Blocking keys: every key of every customer, for candidate lookup.
CREATE TABLE customer_keys (
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_keys_customer ON customer_keys (customer_id);

-- Identifiers that belong to one customer only. The primary key is what settles a race
-- between two reps entering the same customer: the second insert fails, whatever the timing.
CREATE TABLE customer_identities (
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE followups (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    kind         TEXT NOT NULL,
    note         TEXT NOT NULL,
    at           TEXT NOT NULL,
    author_id    INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX followups_customer ON followups (customer_id, at);

CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    action           TEXT NOT NULL,
    actor_id         INTEGER NOT NULL REFERENCES users (id),
    before_owner_id  INTEGER REFERENCES users (id),
    after_owner_id   INTEGER REFERENCES users (id),
    rule             TEXT NOT NULL,
    reason           TEXT
);
CREATE INDEX audit_customer ON audit_log (customer_id, id);
CREATE INDEX audit_at ON audit_log (at);

-- The audit log is append-only, whatever code or person touches the database.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
