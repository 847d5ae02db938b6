/* The change log on PostgreSQL (tests/unit/store/events_cases.h), and the
 * LISTEN connection: committed events come back as notifications, in
 * order, and a failed write sends none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../store/events_cases.h"
#include "pg_fixture.h"

typedef struct heard {
    int resyncs;
    int n;
    int64_t ids[16];
} heard_t;

static heard_t heard;

/* Notifications of other tests sharing the database are left out. */
static void on_event(void *ctx, const char *user_id, int64_t last_id)
{
    (void)ctx;
    if (user_id == NULL)
        heard.resyncs++;
    else if (strcmp(user_id, "lsn") == 0 && heard.n < 16)
        heard.ids[heard.n++] = last_id;
}

static void wait_loop(ev_env_t *e, const int *calls, int want)
{
    run_until(e->loop, calls, want);
}

typedef struct evfx {
    pgfx_t *f;
    ev_env_t env;
} evfx_t;

static int ev_setup(void **state)
{
    evfx_t *x = calloc(1, sizeof(*x));
    pgfx_t *f = calloc(1, sizeof(*f));
    pgfx_schema(f);
    char err[512] = "";
    store_options_t opts = {.pool_size = 2,
                            .migrate_on_start = true,
                            .task_json = ev_test_encoder,
                            .on_event = on_event};
    if (store_open(f->url, &opts, &f->store, err, sizeof(err)) != 0)
        fail_msg("store_open: %s", err);
    f->loop = h2o_evloop_create();
    assert_int_equal(store_worker_new(f->store, f->loop, &f->w), 0);
    f->arena = arena_new();
    x->f = f;
    x->env = (ev_env_t){.w = f->w, .arena = f->arena, .wait = wait_loop, .loop = f->loop};
    memset(&heard, 0, sizeof(heard));
    *state = x;
    return 0;
}

static int ev_teardown(void **state)
{
    evfx_t *x = *state;
    store_listen_stop(x->f->store);
    pgfx_free(x->f);
    free(x);
    return 0;
}

static void test_every_change(void **state)
{
    ev_case_every_change(&((evfx_t *)*state)->env);
}

static void test_no_event_without_change(void **state)
{
    ev_case_no_event_without_change(&((evfx_t *)*state)->env);
}

static void test_per_user_and_retention(void **state)
{
    ev_case_per_user_and_retention(&((evfx_t *)*state)->env);
}

static void test_user_delete(void **state)
{
    ev_case_user_delete(&((evfx_t *)*state)->env);
}

static void test_tricky_title(void **state)
{
    ev_case_tricky_title(&((evfx_t *)*state)->env);
}

/* Every committed event is notified once, in order; refused and failed
 * writes notify nothing. */
static void test_listen(void **state)
{
    evfx_t *x = *state;
    ev_env_t *e = &x->env;
    store_listen_start(x->f->store, x->f->loop);
    run_until(x->f->loop, &heard.resyncs, 1); /* up: read the log once */
    int64_t a = ev_create(e, "lsn", "one");
    ev_edit_t rec = {.decision = STORE_MODIFY_WRITE, .title = "done", .successor = true};
    assert_int_equal(ev_modify(e, "lsn", a, &rec, NULL), STORE_OK);
    ev_edit_t refuse = {.decision = -1};
    assert_int_equal(ev_modify(e, "lsn", a, &refuse, NULL), STORE_REJECTED);
    assert_int_equal(ev_delete(e, "lsn", a + 1000), STORE_NOT_FOUND);
    assert_int_equal(ev_delete(e, "lsn", a), STORE_OK);
    run_until(x->f->loop, &heard.n, 4);
    run_for(x->f->loop, 200);
    assert_int_equal(heard.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(heard.ids[i], i + 1);
}

int main(void)
{
    pg_require_database("store_pg_events");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_change, ev_setup, ev_teardown),
        cmocka_unit_test_setup_teardown(test_no_event_without_change, ev_setup, ev_teardown),
        cmocka_unit_test_setup_teardown(test_per_user_and_retention, ev_setup, ev_teardown),
        cmocka_unit_test_setup_teardown(test_user_delete, ev_setup, ev_teardown),
        cmocka_unit_test_setup_teardown(test_tricky_title, ev_setup, ev_teardown),
        cmocka_unit_test_setup_teardown(test_listen, ev_setup, ev_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
