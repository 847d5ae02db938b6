-- SQLite keeps these counters in memory (one process); the table exists
-- so that both dialects share one migration history.
-- Failed logins, counted in the database so that the limits of API.md
-- section 3 hold across every server sharing it (section 5).
CREATE TABLE login_failures (
    scope        TEXT   NOT NULL, -- 'email' or 'addr'
    subject      TEXT   NOT NULL, -- the lower-cased email, or the client address
    window_start BIGINT NOT NULL, -- unix seconds
    failures     INTEGER NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX ix_login_failures_window ON login_failures (window_start);
