-- Built-in accounts. email is stored trimmed and lower-cased.
CREATE TABLE users (
    id            TEXT        PRIMARY KEY,
    email         TEXT        NOT NULL UNIQUE,
    name          TEXT        NULL,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Deleting a user deletes their tasks, in the same transaction.
CREATE FUNCTION users_delete_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasks WHERE user_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER users_delete_tasks AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION users_delete_tasks();
