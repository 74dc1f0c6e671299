-- The public pool: policies, protection and recycling state; deals; the event outbox and
-- webhooks.

-- Actor of what the system does by itself (recycling); it cannot log in.
INSERT INTO users (username, display_name, role, active, password_hash, created_at)
VALUES ('_system', '系统', 'admin', 0, '!', '2026-01-01T00:00:00+00:00')
ON CONFLICT (username) DO NOTHING;

-- One global row (team_id NULL) and one per team; NULL fields of a team follow the global row.
CREATE TABLE pool_policies (
    scope                     TEXT PRIMARY KEY,  -- 'global' or 'team:<id>'
    team_id                   INTEGER REFERENCES teams (id),
    owner_cap                 INTEGER,
    protection_days           INTEGER,
    recycle_no_followup_days  INTEGER,
    recycle_no_deal_days      INTEGER,
    warn_days                 INTEGER,
    daily_claim_limit         INTEGER,
    reclaim_cooldown_days     INTEGER,
    updated_at                TEXT NOT NULL,
    updated_by                INTEGER REFERENCES users (id)
);

ALTER TABLE customers ADD COLUMN protected_until TEXT;
ALTER TABLE customers ADD COLUMN recycle_warned_at TEXT;
ALTER TABLE customers ADD COLUMN last_deal_at TEXT;

CREATE TABLE deals (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    title         TEXT NOT NULL,
    amount        INTEGER,           -- in cents (分)
    stage         TEXT NOT NULL CHECK (stage IN ('open', 'won', 'lost')),
    created_by    INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    closed_at     TEXT
);
CREATE INDEX deals_customer ON deals (customer_id);

-- Everything that happened, in order: the source of the live stream and of webhooks.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL,
    at           TEXT NOT NULL,
    customer_id  INTEGER,
    actor_id     INTEGER REFERENCES users (id),
    -- who may see it: the customer's owner and team at the time, and the users involved
    owner_id     INTEGER,
    team_id      INTEGER,
    users        TEXT NOT NULL,  -- ",<id>,<id>," so that LIKE finds one id
    data         TEXT NOT NULL   -- JSON
);
CREATE INDEX events_customer ON events (customer_id);

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('generic', 'wecom', 'dingtalk', 'feishu')),
    secret      TEXT,
    events      TEXT NOT NULL,  -- JSON array of event types; empty: all
    active      INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL
);

-- The outbox: one row per event and webhook, written with the event.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES events (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    last_error       TEXT,
    delivered_at     TEXT,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
