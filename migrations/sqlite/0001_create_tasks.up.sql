-- Tasks. user_id has no foreign key: a task may belong to a Better Auth user
-- that has no row in users.
CREATE TABLE tasks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            TEXT     NOT NULL,
    title              TEXT     NOT NULL,
    description        TEXT     NULL,
    completed          INTEGER  NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    completed_at       TEXT     NULL,     -- "YYYY-MM-DDTHH:MM:SSZ"
    priority           SMALLINT NULL CHECK (priority BETWEEN 1 AND 3),
    tags               TEXT     NULL,     -- normalised "a,b,c"
    due_date           TEXT     NULL,     -- "YYYY-MM-DD"
    due_time           TEXT     NULL,     -- "HH:MM:SS"
    recurrence_pattern TEXT     NULL CHECK (recurrence_pattern IN ('daily', 'weekly', 'monthly')),
    recurrence_day     SMALLINT NULL CHECK (recurrence_day BETWEEN 1 AND 31),
    created_at         TEXT     NOT NULL, -- "YYYY-MM-DDTHH:MM:SSZ"
    updated_at         TEXT     NOT NULL,
    successor_id       BIGINT   NULL,     -- set on the parent once its next occurrence exists
    parent_id          BIGINT   NULL UNIQUE -- on the successor: at most one per parent
);

CREATE INDEX ix_tasks_user_created  ON tasks (user_id, created_at, id);
CREATE INDEX ix_tasks_user_updated  ON tasks (user_id, updated_at, id);
CREATE INDEX ix_tasks_user_due      ON tasks (user_id, due_date, due_time, id);
CREATE INDEX ix_tasks_user_priority ON tasks (user_id, priority, id);
CREATE INDEX ix_tasks_user_completed ON tasks (user_id, completed, id);
