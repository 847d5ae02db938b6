-- Dropping the table drops its indexes and identity sequence too.
DROP TABLE tasks;
