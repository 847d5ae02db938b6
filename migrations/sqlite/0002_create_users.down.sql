DROP TRIGGER users_delete_tasks;
DROP TABLE users;
