-- Built-in accounts. email is stored trimmed and lower-cased.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL -- "YYYY-MM-DDTHH:MM:SSZ"
);

-- Deleting a user deletes their tasks, in the same transaction.
CREATE TRIGGER users_delete_tasks AFTER DELETE ON users
FOR EACH ROW
BEGIN
    DELETE FROM tasks WHERE user_id = OLD.id;
END;
