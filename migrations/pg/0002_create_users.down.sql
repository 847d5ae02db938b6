DROP TRIGGER users_delete_tasks ON users;
DROP FUNCTION users_delete_tasks();
DROP TABLE users;
