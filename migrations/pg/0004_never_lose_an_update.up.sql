-- API.md section 7: ETags, idempotency keys and the change log.

-- A version per task, bumped in the same statement as every change: the
-- task's strong ETag is derived from (id, version).
ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- The stored answers of requests sent with an Idempotency-Key (section 7.2),
-- written in the same transaction as the change they made.
CREATE TABLE idempotency_keys (
    user_id      TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    route        TEXT    NOT NULL, -- method and path, e.g. "POST /api/u/tasks"
    request_hash TEXT    NOT NULL, -- digest of the canonical JSON body
    status       INTEGER NOT NULL,
    location     TEXT    NULL,
    etag         TEXT    NULL,
    body         TEXT    NOT NULL,
    expires_at   BIGINT  NOT NULL, -- unix seconds
    PRIMARY KEY (user_id, key)
);
CREATE INDEX ix_idempotency_keys_expires ON idempotency_keys (expires_at);

-- The change log that event streams replay from (section 7.3). Ids increase
-- per user: event_counters hands them out inside the writing transaction.
CREATE TABLE event_counters (
    user_id TEXT    PRIMARY KEY,
    last_id BIGINT  NOT NULL
);
CREATE TABLE task_events (
    user_id    TEXT    NOT NULL,
    id         BIGINT  NOT NULL, -- per user, increasing
    type       TEXT    NOT NULL, -- task.created, task.updated, task.deleted
    data       TEXT    NOT NULL, -- the event's data line (JSON)
    created_at BIGINT  NOT NULL, -- unix seconds, for EVENTS_RETENTION
    PRIMARY KEY (user_id, id)
);
CREATE INDEX ix_task_events_created ON task_events (created_at);

-- Deleting a user deletes their change log in the same transaction (no
-- events: the account is gone); the counter stays, so ids never repeat.
CREATE FUNCTION users_delete_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_events WHERE user_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER users_delete_events AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION users_delete_events();
