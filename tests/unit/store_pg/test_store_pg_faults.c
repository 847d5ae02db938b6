/* The PostgreSQL store when things go wrong: connections killed mid-query,
 * a query that outlives its timeout, the database vanishing (a proxy in
 * between drops every connection and refuses new ones) and coming back, a
 * worker freed with operations pending, and operations submitted before the
 * pool has connected. Lost connections are STORE_UNAVAILABLE, never
 * STORE_ERROR; the pool reconnects by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg_fixture.h"

static int teardown(void **state)
{
    pgfx_free(*state);
    return 0;
}

/* A second, blocking session takes the row lock of one task. */
static void hold_row_lock(pgfx_t *f, int64_t id)
{
    f->locker = admin_connect(f->url);
    admin_exec(f->locker, "BEGIN");
    admin_exec(f->locker, "SELECT 1 FROM tasks WHERE id = %lld FOR UPDATE", (long long)id);
}

static void release_row_lock(pgfx_t *f)
{
    admin_exec(f->locker, "ROLLBACK");
    PQfinish(f->locker);
    f->locker = NULL;
}

static int mark_fn(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                   store_task_t **successor)
{
    (void)arena;
    (void)cur;
    (void)successor;
    (*(int *)fn_ctx)++;
    next->title = "changed";
    return STORE_MODIFY_WRITE;
}

static void test_killed_connections(void **state)
{
    char app[64];
    snprintf(app, sizeof(app), "application_name=storetest_kill_%ld", (long)getpid());
    pgfx_t *f = pgfx_new(app, 2, 0);
    *state = f;
    store_task_t t = task_make("k", "row");
    int64_t id = task_insert(f, &t);

    /* A modify waits on the lock; a kill ends it with STORE_UNAVAILABLE. */
    hold_row_lock(f, id);
    int fn_calls = 0;
    capture_t m = {0};
    store_task_modify(f->w, f->arena, "k", id, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_for(f->loop, 200);
    assert_int_equal(m.calls, 0);
    assert_true(admin_num(f->admin,
                          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = 'storetest_kill_%ld'",
                          (long)getpid()) >= 1);
    run_until(f->loop, &m.calls, 1);
    assert_int_equal(m.res.status, STORE_UNAVAILABLE);
    assert_int_equal(fn_calls, 0);
    release_row_lock(f);

    /* The pool reconnects by itself; then everything works again. */
    wait_ready(f);
    capture_t g = do_get(f, "k", id);
    assert_int_equal(g.res.status, STORE_OK);
    assert_string_equal(g.res.task->title, "row");
    m = (capture_t){0};
    store_task_modify(f->w, f->arena, "k", id, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_until(f->loop, &m.calls, 1);
    assert_int_equal(m.res.status, STORE_OK);
    assert_string_equal(m.res.task->title, "changed");
}

static long long backends(pgfx_t *f, const char *app)
{
    return admin_num(f->admin,
                     "SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'", app);
}

/* The server closes idle connections (an idle timeout, a pooler, a database
 * that suspends): no error, no reconnecting while idle; the next operation
 * opens a connection and succeeds. */
static void test_idle_connections_closed_by_the_server(void **state)
{
    char app[64], param[96];
    snprintf(app, sizeof(app), "storetest_idle_%ld", (long)getpid());
    snprintf(param, sizeof(param), "application_name=%s", app);
    pgfx_t *f = pgfx_new(param, 3, 0);
    *state = f;
    store_task_t t = task_make("idle", "row");
    int64_t id = task_insert(f, &t);
    run_for(f->loop, 200);
    assert_int_equal(backends(f, app), 3);

    admin_exec(f->admin,
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE application_name = '%s'",
               app);
    run_for(f->loop, 500);
    assert_int_equal(backends(f, app), 0); /* nothing reconnects by itself */
    store_pool_stats_t st;
    store_worker_stats(f->w, &st);
    assert_false(st.connected);

    capture_t g = do_get(f, "idle", id);
    assert_int_equal(g.res.status, STORE_OK);
    assert_int_equal(do_ping(f).res.status, STORE_OK);
    assert_true(backends(f, app) >= 1);

    /* More work than one connection takes opens more. */
    enum { N = 50 };
    capture_t c[N] = {0};
    int fn_calls = 0;
    for (int i = 0; i < N; i++)
        store_task_modify(f->w, f->arena, "idle", id, NULL, mark_fn, &fn_calls, capture_cb, &c[i]);
    for (int i = 0; i < N; i++) {
        run_until(f->loop, &c[i].calls, 1);
        assert_int_equal(c[i].res.status, STORE_OK);
    }
    /* The second connection was started while the first was busy; it may
     * finish connecting after the work is done (connecting costs more than
     * 50 short transactions on a fast machine), so wait for it. */
    for (int i = 0; i < 100 && backends(f, app) < 2; i++)
        run_for(f->loop, 50);
    assert_true(backends(f, app) >= 2);
}

static void test_query_timeout_resets_the_connection(void **state)
{
    pgfx_t *f = pgfx_new(NULL, 2, 300);
    *state = f;
    store_task_t t = task_make("slow", "row");
    int64_t id = task_insert(f, &t);
    int64_t other = task_insert(f, &t);

    hold_row_lock(f, id);
    int fn_calls = 0;
    capture_t m = {0};
    store_task_modify(f->w, f->arena, "slow", id, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_until(f->loop, &m.calls, 1);
    assert_int_equal(m.res.status, STORE_UNAVAILABLE);
    assert_int_equal(fn_calls, 0);

    /* Other rows are served meanwhile, and the locked one once it is free. */
    wait_ready(f);
    m = (capture_t){0};
    store_task_modify(f->w, f->arena, "slow", other, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_until(f->loop, &m.calls, 1);
    assert_int_equal(m.res.status, STORE_OK);
    release_row_lock(f);
    m = (capture_t){0};
    store_task_modify(f->w, f->arena, "slow", id, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_until(f->loop, &m.calls, 1);
    assert_int_equal(m.res.status, STORE_OK);
}

/* Waits for one callback at most max_ms (a hang would last the query
 * timeout, 20 s here). */
static void run_until_within(h2o_loop_t *loop, const int *calls, int max_ms)
{
    uint64_t deadline = ms_now() + (uint64_t)max_ms;
    while (*calls < 1 && ms_now() < deadline)
        h2o_evloop_run(loop, 10);
    assert_int_equal(*calls, 1);
}

static void test_database_vanishes_and_returns(void **state)
{
    pgfx_t *f = calloc(1, sizeof(*f));
    *state = f;
    pgfx_schema(f);
    char url[2300];
    proxy_t *proxy = proxy_start(f->url, url, sizeof(url));
    pgfx_open_url(f, url, 3, 20000);
    store_task_t t = task_make("gone", "row");
    int64_t id = task_insert(f, &t);

    /* Down: what was in flight fails, and so does everything new, at once. */
    hold_row_lock(f, id);
    int fn_calls = 0;
    capture_t m = {0};
    store_task_modify(f->w, f->arena, "gone", id, NULL, mark_fn, &fn_calls, capture_cb, &m);
    run_for(f->loop, 100);
    assert_int_equal(m.calls, 0);
    proxy_down(proxy);
    run_until_within(f->loop, &m.calls, 5000);
    assert_int_equal(m.res.status, STORE_UNAVAILABLE);
    release_row_lock(f);

    for (int i = 0; i < 20; i++) {
        capture_t c = {0};
        if (i % 2)
            store_ping(f->w, capture_cb, &c);
        else
            store_task_get(f->w, f->arena, "gone", id, capture_cb, &c);
        run_until_within(f->loop, &c.calls, 5000);
        assert_int_equal(c.res.status, STORE_UNAVAILABLE);
        run_for(f->loop, 50); /* through a few reconnect attempts */
    }
    store_pool_stats_t st;
    store_worker_stats(f->w, &st);
    assert_false(st.connected);
    assert_int_equal(st.waiting, 0);

    /* Up again: the store finds it without being told. */
    proxy_up(proxy);
    wait_ready(f);
    capture_t g = do_get(f, "gone", id);
    assert_int_equal(g.res.status, STORE_OK);
    assert_string_equal(g.res.task->title, "row");
    store_worker_stats(f->w, &st);
    assert_true(st.connected);

    /* And again, a second outage. */
    proxy_down(proxy);
    capture_t c = {0};
    store_task_get(f->w, f->arena, "gone", id, capture_cb, &c);
    run_until_within(f->loop, &c.calls, 5000);
    assert_int_equal(c.res.status, STORE_UNAVAILABLE);
    proxy_up(proxy);
    wait_ready(f);
    assert_int_equal(do_get(f, "gone", id).res.status, STORE_OK);

    pgfx_close_store(f);
    proxy_stop(proxy);
}

enum { N_PENDING = 40 };

static int never_fn(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                    store_task_t **successor)
{
    (void)arena;
    (void)cur;
    (void)next;
    (void)successor;
    (*(int *)fn_ctx)++;
    return STORE_MODIFY_WRITE;
}

/* Operations still pending when a worker is freed are answered then, once
 * each, with STORE_UNAVAILABLE; and operations made before the pool has
 * connected wait for it rather than fail. */
static void test_worker_lifetime(void **state)
{
    pgfx_t *f = pgfx_new(NULL, 2, 0);
    *state = f;
    store_task_t t = task_make("life", "row");
    int64_t id = task_insert(f, &t);

    store_worker_t *w;
    assert_int_equal(store_worker_new(f->store, f->loop, &w), 0);
    capture_t early = {0};
    store_task_get(w, f->arena, "life", id, capture_cb, &early);
    assert_int_equal(early.calls, 0); /* connecting: it waits */
    run_until(f->loop, &early.calls, 1);
    assert_int_equal(early.res.status, STORE_OK);

    capture_t c[N_PENDING] = {0};
    int fn_calls = 0;
    store_task_query_t q = {.completed = -1,
                            .today = "2025-12-10",
                            .week_start = "2025-12-08",
                            .week_end = "2025-12-14",
                            .limit = 10};
    for (int i = 0; i < N_PENDING; i++) {
        if (i % 3 == 0)
            store_task_modify(w, f->arena, "life", id, NULL, never_fn, &fn_calls, capture_cb,
                              &c[i]);
        else if (i % 3 == 1)
            store_task_list(w, f->arena, "life", &q, capture_cb, &c[i]);
        else
            store_task_create(w, f->arena, &t, NULL, capture_cb, &c[i]);
    }
    store_worker_free(w);
    for (int i = 0; i < N_PENDING; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].res.status, STORE_UNAVAILABLE);
    }
    assert_int_equal(fn_calls, 0);
    run_for(f->loop, 100);
    for (int i = 0; i < N_PENDING; i++)
        assert_int_equal(c[i].calls, 1);

    /* A worker freed while still connecting. */
    assert_int_equal(store_worker_new(f->store, f->loop, &w), 0);
    capture_t p = {0};
    store_ping(w, capture_cb, &p);
    store_worker_free(w);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.res.status, STORE_UNAVAILABLE);
    assert_int_equal(do_ping(f).res.status, STORE_OK);
}

int main(void)
{
    pg_require_database("store_pg_faults");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_killed_connections, teardown),
        cmocka_unit_test_teardown(test_idle_connections_closed_by_the_server, teardown),
        cmocka_unit_test_teardown(test_query_timeout_resets_the_connection, teardown),
        cmocka_unit_test_teardown(test_database_vanishes_and_returns, teardown),
        cmocka_unit_test_teardown(test_worker_lifetime, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
