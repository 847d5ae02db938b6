/* Opening a PostgreSQL store: the URL schemes, errors that never show the
 * password, an unreachable server, a schema that is out of date, and the
 * migrations themselves (up, down, status, and several migrators at once
 * under the advisory lock, as when servers start together). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg_fixture.h"
#include "store/migrate.h"
#include "store/pg_conn.h"

static void test_conninfo_from_url(void **state)
{
    (void)state;
    char *s = pg_conninfo_from_url("postgresql+asyncpg://u:p@h:5/d?sslmode=require");
    assert_string_equal(s, "postgresql://u:p@h:5/d?sslmode=require");
    free(s);
    s = pg_conninfo_from_url("postgres://h/d");
    assert_string_equal(s, "postgres://h/d");
    free(s);
    s = pg_conninfo_from_url("postgresql://h/d?application_name=x&connect_timeout=3");
    assert_string_equal(s, "postgresql://h/d?application_name=x&connect_timeout=3");
    free(s);
    assert_null(pg_conninfo_from_url("sqlite://x.db"));
    assert_null(pg_conninfo_from_url("mysql://h/d"));
}

/* The same database through each accepted scheme. */
static void test_every_scheme_opens(void **state)
{
    (void)state;
    static const char *const schemes[] = {"postgresql://", "postgres://", "postgresql+asyncpg://"};
    pgfx_t *f = calloc(1, sizeof(*f));
    pgfx_schema(f);
    const char *rest = strstr(f->url, "://");
    assert_non_null(rest);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        char url[sizeof(f->url) + 32];
        snprintf(url, sizeof(url), "%s%s", schemes[i], rest + 3);
        pgfx_open_url(f, url, 1, 0);
        assert_int_equal(do_ping(f).res.status, STORE_OK);
        store_task_t t = task_make("s", schemes[i]);
        task_insert(f, &t);
        pgfx_close_store(f);
    }
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks"), 3);
    pgfx_free(f);
}

static void test_errors_never_show_the_password(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int status;
        const char *says;
    } cases[] = {
        {"postgresql://alice:Sup3rS3cretPw@127.0.0.1:1/db", STORE_UNAVAILABLE, "127.0.0.1"},
        {"postgresql://alice:Sup3rS3cretPw@[::1/db", STORE_ERROR, "invalid PostgreSQL URL"},
        {"postgresql://alice:Sup3rS3cretPw@h/db?no_such_param=1", STORE_ERROR, "no_such_param"},
        {"postgresql+asyncpg://alice:Sup3rS3cretPw@h/db?ssl=require", STORE_ERROR,
         "sslmode=require"},
        /* libpq checks option values only when it connects */
        {"postgres://alice:Sup3rS3cretPw@h/db?sslmode=bogus", 0, "sslmode"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        store_t *s = (store_t *)&err; /* must be reset */
        store_options_t opts = {.migrate_on_start = true};
        int rc = store_open(cases[i].url, &opts, &s, err, sizeof(err));
        if (cases[i].status != 0)
            assert_int_equal(rc, cases[i].status);
        assert_true(rc < 0);
        assert_null(s);
        if (strstr(err, cases[i].says) == NULL)
            fail_msg("%s: \"%s\" does not say %s", cases[i].url, err, cases[i].says);
        assert_null(strstr(err, "Sup3rS3cretPw"));
        assert_null(strchr(err, '\n'));
    }
}

static int run_migrate(const char *url, migrate_cmd_t cmd, int steps, FILE *report, char *err,
                       size_t errlen)
{
    migrate_driver_t d;
    if (migrate_pg_open(url, &d, err, errlen) < 0)
        return -1;
    int rc = migrate_run(&d, migrations_pg, migrations_pg_count, cmd, steps, report, err, errlen);
    migrate_pg_close(&d);
    return rc;
}

static bool relation_exists(pgfx_t *f, const char *name)
{
    return admin_num(f->admin,
                     "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                     "n.oid = c.relnamespace WHERE n.nspname = '%s' AND c.relname = '%s'",
                     f->schema, name) > 0;
}

static void test_migrations_up_down_status(void **state)
{
    (void)state;
    pgfx_t *f = calloc(1, sizeof(*f));
    pgfx_schema(f);
    char err[512] = "";

    /* Told not to migrate, the store refuses an out-of-date schema. */
    store_options_t no = {.migrate_on_start = false};
    store_t *s = NULL;
    assert_int_equal(store_open(f->url, &no, &s, err, sizeof(err)), STORE_ERROR);
    char pending[32];
    snprintf(pending, sizeof(pending), "%zu migrations pending", migrations_pg_count);
    assert_non_null(strstr(err, pending));

    char text[2048];
    FILE *out = fmemopen(text, sizeof(text), "w");
    assert_int_equal(run_migrate(f->url, MIGRATE_STATUS, 0, out, err, sizeof(err)), 0);
    assert_int_equal(run_migrate(f->url, MIGRATE_UP, 1, out, err, sizeof(err)), 0);
    assert_true(relation_exists(f, "tasks"));
    assert_false(relation_exists(f, "users"));
    assert_int_equal(run_migrate(f->url, MIGRATE_UP, 1, out, err, sizeof(err)), 0);
    assert_int_equal(run_migrate(f->url, MIGRATE_STATUS, 0, out, err, sizeof(err)), 0);
    fclose(out);
    assert_non_null(strstr(text, "1 create_tasks pending\n2 create_users pending\n"));
    assert_non_null(strstr(text, "applied 1 create_tasks\napplied 2 create_users\n"
                                 "1 create_tasks applied\n2 create_users applied\n"));
    assert_true(relation_exists(f, "users"));
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM schema_migrations"), 2);

    /* The later migrations; the server accepts only a schema with all. */
    assert_int_equal(store_open(f->url, &no, &s, err, sizeof(err)), STORE_ERROR);
    assert_int_equal(run_migrate(f->url, MIGRATE_UP, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM schema_migrations"),
                     (long long)migrations_pg_count);

    assert_int_equal(store_open(f->url, &no, &s, err, sizeof(err)), 0);
    store_close(s);

    /* Down all the way drops exactly what up made; up again restores it. */
    assert_int_equal(
        run_migrate(f->url, MIGRATE_DOWN, (int)migrations_pg_count, NULL, err, sizeof(err)), 0);
    assert_false(relation_exists(f, "tasks"));
    assert_false(relation_exists(f, "users"));
    assert_int_equal(admin_num(f->admin,
                               "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                               "n.oid = c.relnamespace WHERE n.nspname = '%s' AND c.relname NOT "
                               "LIKE 'schema_migrations%%'",
                               f->schema),
                     0);
    assert_int_equal(admin_num(f->admin,
                               "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON "
                               "n.oid = p.pronamespace WHERE n.nspname = '%s'",
                               f->schema),
                     0);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM schema_migrations"), 0);
    assert_int_equal(run_migrate(f->url, MIGRATE_UP, 0, NULL, err, sizeof(err)), 0);
    assert_true(relation_exists(f, "tasks"));
    assert_true(relation_exists(f, "users"));
    pgfx_free(f);
}

/* Several servers starting at once: every migrator succeeds, and each
 * migration is applied once (a second CREATE TABLE would fail). */
enum { N_MIGRATORS = 6 };

typedef struct migrator {
    const char *url;
    pthread_barrier_t *start;
    int rc;
    int applied; /* "applied" lines it reported */
    char err[256];
} migrator_t;

static void *migrate_thread(void *arg)
{
    migrator_t *m = arg;
    char text[1024] = "";
    FILE *out = fmemopen(text, sizeof(text), "w");
    pthread_barrier_wait(m->start);
    m->rc = run_migrate(m->url, MIGRATE_UP, 0, out, m->err, sizeof(m->err));
    fclose(out);
    for (const char *p = text; (p = strstr(p, "applied ")) != NULL; p++)
        m->applied++;
    return NULL;
}

static void test_concurrent_migrators_apply_once(void **state)
{
    (void)state;
    pgfx_t *f = calloc(1, sizeof(*f));
    pgfx_schema(f);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N_MIGRATORS);
    migrator_t m[N_MIGRATORS];
    pthread_t th[N_MIGRATORS];
    for (int i = 0; i < N_MIGRATORS; i++) {
        m[i] = (migrator_t){.url = f->url, .start = &start};
        pthread_create(&th[i], NULL, migrate_thread, &m[i]);
    }
    int applied = 0;
    for (int i = 0; i < N_MIGRATORS; i++) {
        pthread_join(th[i], NULL);
        if (m[i].rc != 0)
            fail_msg("migrator %d: %s", i, m[i].err);
        applied += m[i].applied;
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(applied, (int)migrations_pg_count);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM schema_migrations"),
                     (long long)migrations_pg_count);
    pgfx_free(f);
}

int main(void)
{
    pg_require_database("store_pg_open");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conninfo_from_url),
        cmocka_unit_test(test_every_scheme_opens),
        cmocka_unit_test(test_errors_never_show_the_password),
        cmocka_unit_test(test_migrations_up_down_status),
        cmocka_unit_test(test_concurrent_migrators_apply_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
