DROP TRIGGER users_delete_events ON users;
DROP FUNCTION users_delete_events();
DROP INDEX ix_task_events_created;
DROP TABLE task_events;
DROP TABLE event_counters;
DROP INDEX ix_idempotency_keys_expires;
DROP TABLE idempotency_keys;
ALTER TABLE tasks DROP COLUMN version;
