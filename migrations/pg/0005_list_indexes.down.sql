-- The pg_trgm extension stays: dropping it could take other objects with it.
DROP TRIGGER task_counts_update ON tasks;
DROP TRIGGER task_counts_delete ON tasks;
DROP TRIGGER task_counts_insert ON tasks;
DROP FUNCTION task_counts_apply();
DROP TABLE task_counts;
DROP INDEX ix_tasks_description_trgm;
DROP INDEX ix_tasks_title_trgm;
DROP INDEX ix_tasks_user_due_desc;
DROP INDEX ix_tasks_user_due_asc;
DROP INDEX ix_tasks_user_priority_desc;
DROP INDEX ix_tasks_user_priority_asc;
DROP INDEX ix_tasks_user_title;
CREATE INDEX ix_tasks_user_due      ON tasks (user_id, due_date, due_time, id);
CREATE INDEX ix_tasks_user_priority ON tasks (user_id, priority, id);
