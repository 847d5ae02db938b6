/* The change log on SQLite (tests/unit/store/events_cases.h), on a file
 * and in memory, and the committed-events hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events_cases.h"
#include "store/store.h"
#include "store_fixture.h"

typedef struct hook_log {
    int calls;
    char user[32];
    int64_t last;
} hook_log_t;

static hook_log_t hook;

static void on_event(void *ctx, const char *user_id, int64_t last_id)
{
    assert_ptr_equal(ctx, &hook);
    hook.calls++;
    snprintf(hook.user, sizeof(hook.user), "%s", user_id);
    hook.last = last_id;
}

static void wait_sync(ev_env_t *e, const int *calls, int want)
{
    (void)e;
    assert_int_equal(*calls, want); /* SQLite answers before returning */
}

typedef struct evfx {
    fixture_t f;
    ev_env_t env;
} evfx_t;

static int ev_setup(void **state, bool file)
{
    evfx_t *x = calloc(1, sizeof(*x));
    char err[256] = "";
    fixture_url(&x->f, file);
    store_options_t opts = {.migrate_on_start = true,
                            .task_json = ev_test_encoder,
                            .on_event = on_event,
                            .on_event_ctx = &hook};
    if (store_open(x->f.url, &opts, &x->f.store, err, sizeof(err)) != 0 ||
        store_worker_new(x->f.store, NULL, &x->f.w) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    x->f.arena = arena_new();
    x->env = (ev_env_t){.w = x->f.w, .arena = x->f.arena, .wait = wait_sync};
    memset(&hook, 0, sizeof(hook));
    *state = x;
    return 0;
}

static int ev_setup_file(void **state)
{
    return ev_setup(state, true);
}

static int ev_setup_memory(void **state)
{
    return ev_setup(state, false);
}

static int ev_teardown(void **state)
{
    evfx_t *x = *state;
    store_worker_free(x->f.w);
    store_close(x->f.store);
    arena_free(x->f.arena);
    fixture_remove_files(&x->f);
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

/* The hook hears of each committed change, with the newest id, after the
 * commit; a refused change says nothing. */
static void test_hook_after_commit(void **state)
{
    ev_env_t *e = &((evfx_t *)*state)->env;
    int64_t a = ev_create(e, "hk", "one");
    assert_int_equal(hook.calls, 1);
    assert_string_equal(hook.user, "hk");
    assert_int_equal(hook.last, 1);
    ev_edit_t rec = {.decision = STORE_MODIFY_WRITE, .title = "done", .successor = true};
    assert_int_equal(ev_modify(e, "hk", a, &rec, NULL), STORE_OK);
    assert_int_equal(hook.calls, 2); /* one call for both events */
    assert_int_equal(hook.last, 3);
    ev_edit_t refuse = {.decision = -1};
    assert_int_equal(ev_modify(e, "hk", a, &refuse, NULL), STORE_REJECTED);
    assert_int_equal(ev_delete(e, "hk", a + 1000), STORE_NOT_FOUND);
    assert_int_equal(hook.calls, 2);
}

#define BOTH(t)                                                                                    \
    cmocka_unit_test_setup_teardown(t, ev_setup_file, ev_teardown),                                \
        cmocka_unit_test_setup_teardown(t, ev_setup_memory, ev_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_every_change),           BOTH(test_no_event_without_change),
        BOTH(test_per_user_and_retention), BOTH(test_user_delete),
        BOTH(test_tricky_title),           BOTH(test_hook_after_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
