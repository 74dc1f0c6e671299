-- Failed logins, for the login throttle: kept in the database so that every process serving
-- it counts the same attempts (two `leadguard serve` processes must not double an attacker's
-- guesses). Rows older than the throttle's window are deleted as new failures come in.
CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_at ON login_failures (at);
