-- Dropping the table drops its indexes too.
DROP TABLE tasks;
