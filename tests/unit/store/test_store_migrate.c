/* The migration engine (with a fake driver), the SQLite driver on the real
 * embedded migrations, and the `migrate` command. */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/migrate.h"
#include "store/store_sqlite.h"
#include "store_fixture.h"

/* ---- the engine, with a fake driver -------------------------------------------- */

enum { FAKE_MAX = 8 };

typedef struct fake_db {
    bool applied[FAKE_MAX];
    int locks, unlocks;
    int fail_lock, fail_unlock, fail_version; /* fail_version: apply fails for it */
    char calls[256];                          /* "+1 +2 -2 " */
} fake_db_t;

static int fake_lock(void *db, char *err, size_t errlen)
{
    fake_db_t *f = db;
    if (f->fail_lock) {
        snprintf(err, errlen, "lock failed");
        return -1;
    }
    f->locks++;
    return 0;
}

static int fake_unlock(void *db, char *err, size_t errlen)
{
    fake_db_t *f = db;
    f->unlocks++;
    if (f->fail_unlock) {
        snprintf(err, errlen, "unlock failed");
        return -1;
    }
    return 0;
}

static int fake_ensure(void *db, char *err, size_t errlen)
{
    (void)db, (void)err, (void)errlen;
    return 0;
}

static int fake_applied(void *db, bool *applied, int max_version, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    fake_db_t *f = db;
    for (int v = 0; v < max_version && v < FAKE_MAX; v++)
        applied[v] = f->applied[v];
    return 0;
}

static int fake_apply(void *db, const migration_t *m, bool up, char *err, size_t errlen)
{
    fake_db_t *f = db;
    if (m->version == f->fail_version) {
        snprintf(err, errlen, "migration %d broke", m->version);
        return -1;
    }
    f->applied[m->version] = up;
    size_t n = strlen(f->calls);
    snprintf(f->calls + n, sizeof(f->calls) - n, "%c%d ", up ? '+' : '-', m->version);
    return 0;
}

static const migration_t fake_list[] = {
    {1, "one", "up1", "down1"},
    {2, "two", "up2", "down2"},
    {3, "three", "up3", "down3"},
};

static migrate_driver_t fake_driver(fake_db_t *db)
{
    return (migrate_driver_t){.db = db,
                              .lock = fake_lock,
                              .unlock = fake_unlock,
                              .ensure_table = fake_ensure,
                              .applied = fake_applied,
                              .apply = fake_apply};
}

/* Runs cmd and returns its return value; the report goes to out. */
static int run(fake_db_t *db, migrate_cmd_t cmd, int steps, char *out, size_t outlen, char *err)
{
    migrate_driver_t d = fake_driver(db);
    FILE *report = fmemopen(out, outlen, "w");
    assert_non_null(report);
    err[0] = '\0';
    int rc = migrate_run(&d, fake_list, 3, cmd, steps, report, err, 128);
    fclose(report);
    return rc;
}

static void test_engine_up_down(void **state)
{
    (void)state;
    fake_db_t db = {0};
    char out[512], err[128];

    assert_int_equal(run(&db, MIGRATE_UP, 1, out, sizeof(out), err), 0);
    assert_string_equal(db.calls, "+1 ");
    assert_string_equal(out, "applied 1 one\n");

    assert_int_equal(run(&db, MIGRATE_UP, 0, out, sizeof(out), err), 0);
    assert_string_equal(db.calls, "+1 +2 +3 ");
    assert_string_equal(out, "applied 2 two\napplied 3 three\n");

    assert_int_equal(run(&db, MIGRATE_UP, 0, out, sizeof(out), err), 0);
    assert_string_equal(out, "nothing to apply: the schema is up to date\n");

    assert_int_equal(run(&db, MIGRATE_DOWN, 0, out, sizeof(out), err), 0); /* 0 means 1 */
    assert_string_equal(db.calls, "+1 +2 +3 -3 ");
    assert_string_equal(out, "reverted 3 three\n");

    assert_int_equal(run(&db, MIGRATE_STATUS, 0, out, sizeof(out), err), 0);
    assert_string_equal(out, "1 one applied\n2 two applied\n3 three pending\n");

    assert_int_equal(run(&db, MIGRATE_DOWN, 5, out, sizeof(out), err),
                     0); /* as many as there are */
    assert_string_equal(db.calls, "+1 +2 +3 -3 -2 -1 ");
    assert_string_equal(out, "reverted 2 two\nreverted 1 one\n");

    assert_int_equal(run(&db, MIGRATE_DOWN, 1, out, sizeof(out), err), 0);
    assert_string_equal(out, "nothing to revert: no migration is applied\n");
    assert_int_equal(db.locks, 7);
    assert_int_equal(db.unlocks, 7);
}

static void test_engine_fills_gaps(void **state)
{
    (void)state;
    fake_db_t db = {0};
    db.applied[2] = true;
    char out[512], err[128];
    assert_int_equal(run(&db, MIGRATE_UP, 0, out, sizeof(out), err), 0);
    assert_string_equal(db.calls, "+1 +3 ");
}

static void test_engine_failures(void **state)
{
    (void)state;
    char out[512], err[128];

    fake_db_t db = {.fail_version = 2};
    assert_int_equal(run(&db, MIGRATE_UP, 0, out, sizeof(out), err), -1);
    assert_string_equal(db.calls, "+1 "); /* stops at the failure */
    assert_string_equal(err, "migration 2 broke");
    assert_int_equal(db.unlocks, 1); /* and still unlocks */

    fake_db_t locked = {.fail_lock = 1};
    assert_int_equal(run(&locked, MIGRATE_UP, 0, out, sizeof(out), err), -1);
    assert_string_equal(err, "lock failed");
    assert_string_equal(locked.calls, "");
    assert_int_equal(locked.unlocks, 0);

    fake_db_t stuck = {.fail_unlock = 1};
    assert_int_equal(run(&stuck, MIGRATE_UP, 0, out, sizeof(out), err), -1);
    assert_string_equal(err, "unlock failed");

    /* The first error wins over the unlock's. */
    fake_db_t both = {.fail_unlock = 1, .fail_version = 1};
    assert_int_equal(run(&both, MIGRATE_UP, 0, out, sizeof(out), err), -1);
    assert_string_equal(err, "migration 1 broke");
}

static void test_engine_pending_and_log(void **state)
{
    (void)state;
    fake_db_t db = {0};
    db.applied[1] = true;
    migrate_driver_t d = fake_driver(&db);
    char err[128];
    int pending = -1;
    assert_int_equal(migrate_pending(&d, fake_list, 3, &pending, err, sizeof(err)), 0);
    assert_int_equal(pending, 2);
    assert_int_equal(db.locks, 0);
    /* No report: progress goes to the log. */
    assert_int_equal(migrate_run(&d, fake_list, 3, MIGRATE_UP, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(migrate_pending(&d, fake_list, 3, &pending, err, sizeof(err)), 0);
    assert_int_equal(pending, 0);
}

/* ---- the SQLite driver on the real migrations ----------------------------------- */

/* Names of the tables, indexes and triggers in the database, sorted,
 * space-separated. */
static void schema_objects(sqlite3 *db, char *out, size_t outlen)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE name NOT LIKE "
                                        "'sqlite_%' ORDER BY name",
                                        -1, &st, NULL),
                     SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, "%s ", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

static int sqlite_run(sqlite3 *db, const migration_t *list, size_t n, migrate_cmd_t cmd, int steps,
                      char *out, size_t outlen)
{
    migrate_driver_t d;
    migrate__sqlite_driver(db, &d);
    FILE *report = fmemopen(out, outlen, "w");
    char err[256] = "";
    int rc = migrate_run(&d, list, n, cmd, steps, report, err, sizeof(err));
    fclose(report);
    if (rc != 0)
        fprintf(stderr, "migrate_run: %s\n", err);
    return rc;
}

#define TASKS_OBJECTS                                                                              \
    "ix_tasks_user_completed ix_tasks_user_created ix_tasks_user_due ix_tasks_user_priority "      \
    "ix_tasks_user_updated "

static void test_sqlite_round_trip(void **state)
{
    (void)state;
    fixture_t f = {0};
    fixture_url(&f, true);
    char path[160], out[1024], err[256];
    snprintf(path, sizeof(path), "%s/todo.db", f.dir);
    sqlite3 *db;
    assert_int_equal(store__sqlite_connect(path, false, &db, err, sizeof(err)), 0);
    const migration_t *list = migrations_sqlite;
    /* The first two migrations, step by step; every later one is checked by
     * the full round trip at the end. */
    size_t n = 2;
    assert_true(migrations_sqlite_count >= n);

    assert_int_equal(sqlite_run(db, list, n, MIGRATE_STATUS, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "1 create_tasks pending\n2 create_users pending\n");
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_UP, 1, out, sizeof(out)), 0);
    assert_string_equal(out, "applied 1 create_tasks\n");
    char objs[1024];
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, TASKS_OBJECTS "schema_migrations tasks ");

    assert_int_equal(sqlite_run(db, list, n, MIGRATE_UP, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "applied 2 create_users\n");
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, TASKS_OBJECTS "schema_migrations tasks users users_delete_tasks ");
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_STATUS, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "1 create_tasks applied\n2 create_users applied\n");

    /* Down drops exactly what up made. */
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_DOWN, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "reverted 2 create_users\n");
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, TASKS_OBJECTS "schema_migrations tasks ");
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_DOWN, 1, out, sizeof(out)), 0);
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, "schema_migrations ");
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_STATUS, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "1 create_tasks pending\n2 create_users pending\n");

    /* Every migration up, then every one down: nothing is left behind. */
    n = migrations_sqlite_count;
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_UP, 0, out, sizeof(out)), 0);
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_DOWN, (int)n, out, sizeof(out)), 0);
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, "schema_migrations ");

    /* Up again: a working schema, and the server accepts it. */
    assert_int_equal(sqlite_run(db, list, n, MIGRATE_UP, 0, out, sizeof(out)), 0);
    sqlite3_close(db);
    store_t *s;
    store_options_t opts = {.migrate_on_start = false};
    assert_int_equal(store_open(f.url, &opts, &s, err, sizeof(err)), 0);
    f.store = s;
    assert_int_equal(store_worker_new(s, NULL, &f.w), 0);
    f.arena = arena_new();
    store_task_t t = task_make("alice", "after the round trip");
    int64_t id = task_insert(&f, &t);
    assert_int_equal(id, 1);
    store_worker_free(f.w);
    store_close(s);
    arena_free(f.arena);
    fixture_remove_files(&f);
}

static void test_sqlite_failed_migration_is_undone(void **state)
{
    (void)state;
    sqlite3 *db;
    char err[256], out[512], objs[512];
    assert_int_equal(store__sqlite_connect(":memory:", false, &db, err, sizeof(err)), 0);
    const migration_t broken[] = {
        {1, "good", "CREATE TABLE good (x INTEGER);", "DROP TABLE good;"},
        {2, "bad", "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);",
         "DROP TABLE half;"},
    };
    migrate_driver_t d;
    migrate__sqlite_driver(db, &d);
    FILE *report = fmemopen(out, sizeof(out), "w");
    assert_int_equal(migrate_run(&d, broken, 2, MIGRATE_UP, 0, report, err, sizeof(err)), -1);
    fclose(report);
    assert_non_null(strstr(err, "migration 2 bad (up) failed"));
    assert_non_null(strstr(err, "no such table: nowhere"));
    schema_objects(db, objs, sizeof(objs));
    assert_string_equal(objs, "good schema_migrations "); /* 1 kept, nothing of 2 */
    int pending = 0;
    assert_int_equal(migrate_pending(&d, broken, 2, &pending, err, sizeof(err)), 0);
    assert_int_equal(pending, 1);
    assert_true(sqlite3_get_autocommit(db)); /* no transaction left open */
    sqlite3_close(db);
}

typedef struct migrator {
    const char *path;
    int rc;
} migrator_t;

static void *migrate_thread(void *arg)
{
    migrator_t *m = arg;
    sqlite3 *db;
    char err[256], out[256];
    m->rc = -1;
    if (store__sqlite_connect(m->path, false, &db, err, sizeof(err)) == 0) {
        m->rc = sqlite_run(db, migrations_sqlite, migrations_sqlite_count, MIGRATE_UP, 0, out,
                           sizeof(out));
        sqlite3_close(db);
    } else {
        fprintf(stderr, "connect: %s\n", err);
    }
    return NULL;
}

static void test_sqlite_concurrent_migrators(void **state)
{
    (void)state;
    fixture_t f = {0};
    fixture_url(&f, true);
    char path[160];
    snprintf(path, sizeof(path), "%s/todo.db", f.dir);
    enum { N = 4 };
    migrator_t m[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        m[i] = (migrator_t){.path = path};
        assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(m[i].rc, 0);
    }
    fixture_remove_files(&f);
}

/* ---- the command ---------------------------------------------------------------- */

static int cli(const char *url, const char *a0, const char *a1, const char *a2)
{
    char *argv[4] = {(char *)a0, (char *)a1, (char *)a2, NULL};
    int argc = a0 == NULL ? 0 : a1 == NULL ? 1 : a2 == NULL ? 2 : 3;
    return migrate_cli(url, argc, argv);
}

static int applied_count(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_migrations", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

static void test_cli(void **state)
{
    (void)state;
    fixture_t f = {0};
    fixture_url(&f, true);
    char path[160];
    snprintf(path, sizeof(path), "%s/todo.db", f.dir);

    assert_int_equal(cli(f.url, NULL, NULL, NULL), 2);
    assert_int_equal(cli(f.url, "sideways", NULL, NULL), 2);
    assert_int_equal(cli(f.url, "up", "0", NULL), 2);
    assert_int_equal(cli(f.url, "up", "-1", NULL), 2);
    assert_int_equal(cli(f.url, "up", "1x", NULL), 2);
    assert_int_equal(cli(f.url, "up", "99999999999", NULL), 2);
    assert_int_equal(cli(f.url, "up", "1", "2"), 2);
    assert_int_equal(cli(f.url, "status", "1", NULL), 2);
    assert_int_equal(cli("mysql://x", "status", NULL, NULL), 1);
    assert_int_equal(cli("sqlite:///nonexistent-dir-for-test/x.db", "up", NULL, NULL), 1);

    assert_int_equal(cli(f.url, "up", "1", NULL), 0);
    assert_int_equal(applied_count(path), 1);
    assert_int_equal(cli(f.url, "up", NULL, NULL), 0);
    assert_int_equal(applied_count(path), (int)migrations_sqlite_count);
    assert_int_equal(cli(f.url, "status", NULL, NULL), 0);
    char all[16];
    snprintf(all, sizeof(all), "%zu", migrations_sqlite_count);
    assert_int_equal(cli(f.url, "down", all, NULL), 0);
    assert_int_equal(applied_count(path), 0);
    assert_int_equal(cli(f.url, "down", NULL, NULL), 0);
    assert_int_equal(cli(f.url, "up", NULL, NULL), 0);
    assert_int_equal(cli(f.url, "down", NULL, NULL), 0);
    assert_int_equal(applied_count(path), (int)migrations_sqlite_count - 1);
    fixture_remove_files(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_up_down),
        cmocka_unit_test(test_engine_fills_gaps),
        cmocka_unit_test(test_engine_failures),
        cmocka_unit_test(test_engine_pending_and_log),
        cmocka_unit_test(test_sqlite_round_trip),
        cmocka_unit_test(test_sqlite_failed_migration_is_undone),
        cmocka_unit_test(test_sqlite_concurrent_migrators),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
