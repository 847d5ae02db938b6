/* The SQLite migration driver. The lock is a write transaction (BEGIN
 * IMMEDIATE), so a second process migrating the same file waits for the
 * first and then finds the work done; each migration runs inside it under a
 * savepoint, so a failing one is undone alone and those before it stay. */
#include <stdio.h>
#include <string.h>

#include "store/store_sqlite.h"

static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int sq_lock(void *db, char *err, size_t errlen)
{
    return exec(db, "BEGIN IMMEDIATE", "cannot lock the database for migrating", err, errlen);
}

static int sq_unlock(void *db, char *err, size_t errlen)
{
    if (sqlite3_get_autocommit(db))
        return 0; /* an error already ended the transaction */
    if (exec(db, "COMMIT", "cannot commit the migrations", err, errlen) == 0)
        return 0;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int sq_ensure_table(void *db, char *err, size_t errlen)
{
    return exec(db,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                "cannot create schema_migrations", err, errlen);
}

static int sq_applied(void *db, bool *applied, int max_version, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_migrations", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            sqlite3_int64 v = sqlite3_column_int64(st, 0);
            if (v >= 0 && v < max_version)
                applied[v] = true;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read schema_migrations: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Records (up) or forgets (down) m's version. */
static int record(sqlite3 *db, const migration_t *m, bool up, char *err, size_t errlen)
{
    const char *sql = up ? "INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
                         : "DELETE FROM schema_migrations WHERE version = ?1";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, m->version);
        if (up)
            sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot record migration %d: %s", m->version, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int sq_apply(void *vdb, const migration_t *m, bool up, char *err, size_t errlen)
{
    sqlite3 *db = vdb;
    char what[160];
    snprintf(what, sizeof(what), "migration %d %s (%s) failed", m->version, m->name,
             up ? "up" : "down");
    /* Outside the lock's transaction, the savepoint is a transaction itself. */
    if (exec(db, "SAVEPOINT migration", what, err, errlen) < 0)
        return -1;
    if (exec(db, up ? m->up : m->down, what, err, errlen) < 0 || record(db, m, up, err, errlen) < 0)
        goto undo;
    if (exec(db, "RELEASE migration", what, err, errlen) < 0)
        goto undo;
    return 0;
undo:
    if (!sqlite3_get_autocommit(db)) {
        sqlite3_exec(db, "ROLLBACK TO migration", NULL, NULL, NULL);
        sqlite3_exec(db, "RELEASE migration", NULL, NULL, NULL);
    }
    return -1;
}

void migrate__sqlite_driver(sqlite3 *db, migrate_driver_t *d)
{
    d->db = db;
    d->lock = sq_lock;
    d->unlock = sq_unlock;
    d->ensure_table = sq_ensure_table;
    d->applied = sq_applied;
    d->apply = sq_apply;
}

int migrate__sqlite_open(const char *url, migrate_driver_t *d, char *err, size_t errlen)
{
    char path[4096];
    sqlite3 *db;
    memset(d, 0, sizeof(*d));
    if (store__sqlite_path(url, path, sizeof(path), err, errlen) < 0)
        return -1;
    /* ":memory:" gives a private database here: useful only to try the SQL. */
    if (store__sqlite_connect(path, false, &db, err, errlen) < 0)
        return -1;
    migrate__sqlite_driver(db, d);
    return 0;
}

void migrate__sqlite_close(migrate_driver_t *d)
{
    sqlite3_close(d->db);
    d->db = NULL;
}
