-- API.md section 4.3 read by index, not by scan (issue 11). The plans these
-- were chosen from (EXPLAIN QUERY PLAN on a user with 100k tasks among
-- others) are in docs/list-plans.md.
--
-- Sort keys. Every sort is a uniform key tuple ending in id, all in the
-- sort's direction, with NULLs mapped to a value past the end of that
-- direction, so that a page is one index range and a cursor one seek:
--   ascending NULLs last: coalesce(x, <greater than any value>)
--   descending NULLs last: coalesce(x, <less than any value>)
-- The list query (src/store/store_sqlite_list.c) uses these expressions
-- verbatim; they must stay in step.
DROP INDEX ix_tasks_user_due;
DROP INDEX ix_tasks_user_priority;
CREATE INDEX ix_tasks_user_title ON tasks (user_id, lower(title), id);
CREATE INDEX ix_tasks_user_priority_asc ON tasks (user_id, coalesce(priority, 4), id);
CREATE INDEX ix_tasks_user_priority_desc ON tasks (user_id, coalesce(priority, 0), id);
CREATE INDEX ix_tasks_user_due_asc
    ON tasks (user_id, coalesce(due_date, '9999-99-99'), coalesce(due_time, '99:99:99'), id);
-- Also serves the due_date filters, written as ranges of its first key.
CREATE INDEX ix_tasks_user_due_desc
    ON tasks (user_id, coalesce(due_date, ''), coalesce(due_time, ''), id);

-- search: a trigram index over title and description, kept by triggers in
-- the same transaction as the task. It only narrows the candidates; the
-- exact test (ASCII case folding, no wildcards) still decides.
CREATE VIRTUAL TABLE tasks_fts USING fts5(
    title, description, content = 'tasks', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description ON tasks
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO tasks_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;

-- X-Total-Count: per user, how many tasks and how many completed, and a
-- version bumped by every change to any of the user's tasks, all kept by
-- triggers in the writing transaction. Rows are never deleted, so a
-- version never repeats: a count cached with the version it was read at is
-- right for as long as the version stays the same.
CREATE TABLE task_counts (
    user_id   TEXT    PRIMARY KEY,
    total     INTEGER NOT NULL,
    completed INTEGER NOT NULL,
    version   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO task_counts (user_id, total, completed, version)
    SELECT user_id, count(*), sum(completed), 1 FROM tasks GROUP BY user_id;
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO task_counts (user_id, total, completed, version)
        VALUES (new.user_id, 1, new.completed, 1)
        ON CONFLICT (user_id) DO UPDATE SET total = total + 1,
            completed = completed + excluded.completed, version = version + 1;
END;
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
    UPDATE task_counts SET total = total - 1, completed = completed - old.completed,
        version = version + 1 WHERE user_id = old.user_id;
END;
CREATE TRIGGER task_counts_update AFTER UPDATE ON tasks BEGIN
    UPDATE task_counts SET completed = completed - old.completed + new.completed,
        version = version + 1 WHERE user_id = new.user_id;
END;
