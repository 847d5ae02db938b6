-- API.md section 4.3 read by index, not by scan (issue 11). The plans these
-- were chosen from (EXPLAIN ANALYZE on a user with 100k tasks among others)
-- are in docs/list-plans.md.
--
-- Sort keys. Every sort is a uniform key tuple ending in id, all in the
-- sort's direction, with NULLs mapped to a value past the end of that
-- direction, so that a page is one index range and a cursor one seek (a
-- row comparison, which a btree seeks on):
--   ascending NULLs last: coalesce(x, <greater than any value>)
--   descending NULLs last: coalesce(x, <less than any value>)
-- The list query (src/store/store_pg_list.c) uses these expressions
-- verbatim; they must stay in step.
DROP INDEX ix_tasks_user_due;
DROP INDEX ix_tasks_user_priority;
CREATE INDEX ix_tasks_user_title ON tasks (user_id, lower(title COLLATE "C"), id);
CREATE INDEX ix_tasks_user_priority_asc ON tasks (user_id, coalesce(priority, 4), id);
CREATE INDEX ix_tasks_user_priority_desc ON tasks (user_id, coalesce(priority, 0), id);
CREATE INDEX ix_tasks_user_due_asc ON tasks
    (user_id, coalesce(due_date, 'infinity'::date), coalesce(due_time, '24:00:00'::time), id);
-- Also serves the due_date filters, written as ranges of its first key.
CREATE INDEX ix_tasks_user_due_desc ON tasks
    (user_id, coalesce(due_date, '-infinity'::date),
     coalesce(due_time - '00:00:00'::time, '-1 second'::interval), id);

-- search: trigram indexes (pg_trgm, a trusted extension: the database's
-- owner may create it) over the lower-cased title and description; the
-- query's LIKE pattern is the escaped needle, so the match stays exact.
-- The extension goes to public (one per database, whatever schema the
-- tables are in), or stays wherever it already is; its operator class is
-- named with that schema.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
DO $$
DECLARE
    ext TEXT := (SELECT quote_ident(n.nspname) FROM pg_extension AS e
                 JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm');
BEGIN
    EXECUTE format('CREATE INDEX ix_tasks_title_trgm ON tasks'
                   ' USING gin (lower(title COLLATE "C") %s.gin_trgm_ops)', ext);
    EXECUTE format('CREATE INDEX ix_tasks_description_trgm ON tasks'
                   ' USING gin (lower(coalesce(description, %L) COLLATE "C") %s.gin_trgm_ops)',
                   '', ext);
END
$$;

-- X-Total-Count: per user, how many tasks and how many completed, and a
-- version bumped by every statement that changes any of the user's tasks,
-- all kept by triggers in the writing transaction (the row lock orders
-- concurrent writers). Rows are never deleted, so a version never repeats:
-- a count cached with the version it was read at is right for as long as
-- the version stays the same.
CREATE TABLE task_counts (
    user_id   TEXT   PRIMARY KEY,
    total     BIGINT NOT NULL,
    completed BIGINT NOT NULL,
    version   BIGINT NOT NULL
);
INSERT INTO task_counts (user_id, total, completed, version)
    SELECT user_id, count(*), count(*) FILTER (WHERE completed), 1 FROM tasks GROUP BY user_id;

CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts AS c (user_id, total, completed, version)
            SELECT user_id, count(*), count(*) FILTER (WHERE completed), 1
            FROM new_rows GROUP BY user_id ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET total = c.total + excluded.total,
                completed = c.completed + excluded.completed, version = c.version + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts AS c SET total = c.total - d.n, completed = c.completed - d.done,
            version = c.version + 1
        FROM (SELECT user_id, count(*) AS n, count(*) FILTER (WHERE completed) AS done
              FROM old_rows GROUP BY user_id) AS d
        WHERE c.user_id = d.user_id;
    ELSE
        UPDATE task_counts AS c SET completed = c.completed + d.done, version = c.version + 1
        FROM (SELECT n.user_id,
                     count(*) FILTER (WHERE n.completed) - count(*) FILTER (WHERE o.completed)
                         AS done
              FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id GROUP BY n.user_id) AS d
        WHERE c.user_id = d.user_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER task_counts_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
