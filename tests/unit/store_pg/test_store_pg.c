/* The PostgreSQL store's operations on a real database (TEST_DATABASE_URL):
 * exact values in and out, not-found and conflict results, the modify
 * transaction with its successor, one successor under concurrent
 * completions, many operations pipelined at once, and a connection that
 * stays usable after a failed transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg_fixture.h"

static int setup(void **state)
{
    *state = pgfx_new(NULL, 4, 0);
    return 0;
}

static int setup_one_conn(void **state)
{
    *state = pgfx_new(NULL, 1, 0);
    return 0;
}

static int teardown(void **state)
{
    pgfx_free(*state);
    return 0;
}

static void test_ping(void **state)
{
    pgfx_t *f = *state;
    capture_t c = do_ping(f);
    assert_int_equal(c.res.status, STORE_OK);
    store_pool_stats_t st = wait_idle(f);
    assert_int_equal(st.size, 4);
    assert_true(st.connected);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.waiting, 0);
}

static void assert_task_equal(const store_task_t *a, const store_task_t *b)
{
#define STR_EQ(field)                                                                              \
    do {                                                                                           \
        if (a->field == NULL || b->field == NULL)                                                  \
            assert_ptr_equal(a->field, b->field);                                                  \
        else                                                                                       \
            assert_string_equal(a->field, b->field);                                               \
    } while (0)
    STR_EQ(user_id);
    STR_EQ(title);
    STR_EQ(description);
    assert_int_equal(a->completed, b->completed);
    STR_EQ(completed_at);
    assert_int_equal(a->priority, b->priority);
    STR_EQ(tags);
    STR_EQ(due_date);
    STR_EQ(due_time);
    assert_int_equal(a->recurrence_pattern, b->recurrence_pattern);
    assert_int_equal(a->recurrence_day, b->recurrence_day);
    STR_EQ(created_at);
    STR_EQ(updated_at);
#undef STR_EQ
}

static store_task_t full_task(const char *user)
{
    store_task_t t = task_make(user, "Weekly team standup");
    t.description = "Discuss sprint progress\nline two";
    t.completed = true;
    t.completed_at = "2025-12-10T11:30:59Z";
    t.priority = PRIORITY_HIGH;
    t.tags = "work,meeting,weekly";
    t.due_date = "2025-12-11";
    t.due_time = "09:00:00";
    t.recurrence_pattern = RECURRENCE_WEEKLY;
    t.recurrence_day = 1;
    t.created_at = "2025-12-10T10:10:00Z";
    t.updated_at = "2025-12-10T10:11:01Z";
    return t;
}

static void test_task_values_round_trip(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = full_task("u1");
    capture_t c = do_create(f, &t);
    assert_int_equal(c.res.status, STORE_OK);
    assert_task_equal(c.res.task, &t);
    assert_int_equal(c.res.task->successor_id, 0);
    int64_t id = c.res.task->id;

    c = do_get(f, "u1", id);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.task->id, id);
    assert_task_equal(c.res.task, &t);

    /* Every optional field null, and text that SQL must not interpret. */
    store_task_t n =
        task_make("u1", "it's \"quoted\" \\ 100% _x_ ünïcødé 😀 ; DROP TABLE tasks; --");
    n.tags = "a b,ç,%";
    n.due_date = "2024-02-29";
    n.recurrence_pattern = RECURRENCE_MONTHLY;
    n.recurrence_day = 31;
    c = do_create(f, &n);
    assert_int_equal(c.res.status, STORE_OK);
    assert_task_equal(c.res.task, &n);
    c = do_get(f, "u1", c.res.task->id);
    assert_task_equal(c.res.task, &n);

    store_task_t d = task_make("u1", "daily");
    d.recurrence_pattern = RECURRENCE_DAILY;
    d.priority = PRIORITY_LOW;
    d.due_date = "2025-01-01";
    d.due_time = "23:59:59";
    c = do_create(f, &d);
    assert_task_equal(c.res.task, &d);
}

static void test_task_not_found_and_delete(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = task_make("owner", "mine");
    int64_t id = task_insert(f, &t);

    assert_int_equal(do_get(f, "someone-else", id).res.status, STORE_NOT_FOUND);
    assert_int_equal(do_get(f, "owner", id + 1000000).res.status, STORE_NOT_FOUND);

    capture_t c = {0};
    store_task_delete(f->w, "someone-else", id, NULL, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);

    c = (capture_t){0};
    store_task_delete(f->w, "owner", id, NULL, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(do_get(f, "owner", id).res.status, STORE_NOT_FOUND);

    c = (capture_t){0};
    store_task_delete(f->w, "owner", id, NULL, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
}

/* ---- modify --------------------------------------------------------------------- */

typedef struct edit {
    int decision;        /* what the function answers */
    bool make_successor; /* completing: create the next occurrence */
    bool break_title;    /* write a NULL title (the UPDATE fails) */
    atomic_int calls;
    atomic_int successors; /* successors it asked for */
} edit_t;

static int edit_fn(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                   store_task_t **successor)
{
    edit_t *e = fn_ctx;
    atomic_fetch_add(&e->calls, 1);
    if (e->decision != STORE_MODIFY_WRITE)
        return e->decision;
    if (e->break_title) {
        next->title = NULL;
        return STORE_MODIFY_WRITE;
    }
    if (cur->completed)
        return STORE_MODIFY_NO_CHANGE; /* completing a completed task changes nothing */
    next->completed = true;
    next->completed_at = "2025-12-12T08:00:00Z";
    next->updated_at = "2025-12-12T08:00:00Z";
    next->title = "edited";
    next->id = 999999;                         /* ignored */
    next->user_id = "intruder";                /* ignored */
    next->created_at = "2000-01-01T00:00:00Z"; /* ignored */
    if (e->make_successor && cur->successor_id == 0) {
        store_task_t *s = arena_calloc(arena, 1, sizeof(*s));
        *s = *cur;
        s->user_id = "intruder"; /* the store keeps the owner */
        s->completed = false;
        s->completed_at = NULL;
        s->due_date = "2025-12-18";
        s->created_at = "2025-12-12T08:00:00Z";
        s->updated_at = "2025-12-12T08:00:00Z";
        *successor = s;
        atomic_fetch_add(&e->successors, 1);
    }
    return STORE_MODIFY_WRITE;
}

static capture_t do_modify(pgfx_t *f, const char *user, int64_t id, edit_t *e)
{
    capture_t c = {0};
    store_task_modify(f->w, f->arena, user, id, NULL, edit_fn, e, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    return c;
}

static void test_modify_writes_and_keeps_identity(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = full_task("m1");
    t.completed = false;
    t.completed_at = NULL;
    int64_t id = task_insert(f, &t);

    edit_t e = {.decision = STORE_MODIFY_WRITE};
    capture_t c = do_modify(f, "m1", id, &e);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(e.calls, 1);
    assert_int_equal(c.res.task->id, id);
    assert_string_equal(c.res.task->user_id, "m1");
    assert_string_equal(c.res.task->created_at, t.created_at);
    assert_string_equal(c.res.task->title, "edited");
    assert_true(c.res.task->completed);
    assert_string_equal(c.res.task->completed_at, "2025-12-12T08:00:00Z");
    assert_string_equal(c.res.task->updated_at, "2025-12-12T08:00:00Z");
    assert_string_equal(c.res.task->tags, t.tags); /* untouched fields stay */
    assert_int_equal(c.res.task->successor_id, 0);

    capture_t g = do_get(f, "m1", id);
    assert_task_equal(g.res.task, c.res.task);
}

static void test_modify_no_change_reject_not_found(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = task_make("m2", "keep me");
    int64_t id = task_insert(f, &t);

    edit_t same = {.decision = STORE_MODIFY_NO_CHANGE};
    capture_t c = do_modify(f, "m2", id, &same);
    assert_int_equal(c.res.status, STORE_OK);
    assert_task_equal(c.res.task, &t);
    assert_int_equal(c.res.task->id, id);

    edit_t no = {.decision = -7};
    c = do_modify(f, "m2", id, &no);
    assert_int_equal(c.res.status, STORE_REJECTED);
    assert_int_equal(no.calls, 1);

    edit_t yes = {.decision = STORE_MODIFY_WRITE};
    c = do_modify(f, "other-user", id, &yes);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    c = do_modify(f, "m2", id + 1000000, &yes);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    assert_int_equal(yes.calls, 0);

    assert_task_equal(do_get(f, "m2", id).res.task, &t);
}

static void test_modify_creates_one_successor(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = full_task("m3");
    t.completed = false;
    t.completed_at = NULL;
    int64_t id = task_insert(f, &t);

    edit_t e = {.decision = STORE_MODIFY_WRITE, .make_successor = true};
    capture_t c = do_modify(f, "m3", id, &e);
    assert_int_equal(c.res.status, STORE_OK);
    int64_t next_id = c.res.task->successor_id;
    assert_true(next_id > id);

    capture_t g = do_get(f, "m3", next_id);
    assert_int_equal(g.res.status, STORE_OK);
    assert_string_equal(g.res.task->user_id, "m3");
    assert_false(g.res.task->completed);
    assert_null(g.res.task->completed_at);
    assert_string_equal(g.res.task->due_date, "2025-12-18");
    assert_string_equal(g.res.task->title, t.title);
    assert_int_equal(g.res.task->successor_id, 0);
    assert_int_equal(
        admin_num(f->admin, "SELECT parent_id FROM tasks WHERE id = %lld", (long long)next_id), id);

    /* Completing again: no change, the successor is still the one. */
    c = do_modify(f, "m3", id, &e);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.task->successor_id, next_id);
    assert_int_equal(e.successors, 1);
    assert_int_equal(
        admin_num(f->admin, "SELECT count(*) FROM tasks WHERE parent_id = %lld", (long long)id), 1);
}

/* Ten and more completions of one recurring task at the same moment, from
 * several workers (threads, each with its own loop) and several connections
 * each: exactly one successor. */
enum { N_THREADS = 3, PER_THREAD = 4 };

typedef struct racer {
    pgfx_t *f;
    int64_t id;
    edit_t *edit;
    pthread_barrier_t *start;
    int ready; /* the worker connected (no cmocka assertions in threads) */
    int answered, ok;
    int64_t successor_seen[PER_THREAD];
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    h2o_loop_t *loop = h2o_evloop_create();
    store_worker_t *w = NULL;
    store_worker_new(r->f->store, loop, &w);
    arena_t *arena = arena_new();
    capture_t c[PER_THREAD] = {0};
    r->ready = worker_wait_ready(w, loop) == 0;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < PER_THREAD; i++)
        store_task_modify(w, arena, "racer", r->id, NULL, edit_fn, r->edit, capture_cb, &c[i]);
    uint64_t deadline = ms_now() + 30000;
    do {
        h2o_evloop_run(loop, 20);
        r->answered = 0;
        for (int i = 0; i < PER_THREAD; i++)
            r->answered += c[i].calls;
    } while (r->answered < PER_THREAD && ms_now() < deadline);
    for (int i = 0; i < PER_THREAD; i++) {
        if (c[i].calls == 1 && c[i].res.status == STORE_OK) {
            r->ok++;
            r->successor_seen[i] = c[i].res.task->successor_id;
        }
    }
    store_worker_free(w);
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    arena_free(arena);
    return NULL;
}

static void test_concurrent_completions_make_one_successor(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = full_task("racer");
    t.completed = false;
    t.completed_at = NULL;
    int64_t id = task_insert(f, &t);

    edit_t e = {.decision = STORE_MODIFY_WRITE, .make_successor = true};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N_THREADS);
    racer_t racers[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        racers[i] = (racer_t){.f = f, .id = id, .edit = &e, .start = &start};
        pthread_create(&th[i], NULL, race, &racers[i]);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    int64_t successor =
        admin_num(f->admin, "SELECT successor_id FROM tasks WHERE id = %lld", (long long)id);
    for (int i = 0; i < N_THREADS; i++) {
        assert_true(racers[i].ready);
        assert_int_equal(racers[i].answered, PER_THREAD);
        assert_int_equal(racers[i].ok, PER_THREAD); /* every request answered 200 */
        for (int j = 0; j < PER_THREAD; j++)
            assert_int_equal(racers[i].successor_seen[j], successor);
    }
    assert_int_equal(e.successors, 1);
    assert_int_equal(e.calls, N_THREADS * PER_THREAD);
    assert_int_equal(
        admin_num(f->admin, "SELECT count(*) FROM tasks WHERE parent_id = %lld", (long long)id), 1);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks WHERE user_id = 'racer'"), 2);
}

/* A transaction whose UPDATE fails must not leave its connection inside an
 * aborted transaction block: with one connection, the next operations run
 * on the very same one. */
static void test_failed_transaction_leaves_connection_clean(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = task_make("tx", "before");
    int64_t id = task_insert(f, &t);

    edit_t e = {.decision = STORE_MODIFY_WRITE, .break_title = true};
    capture_t c = do_modify(f, "tx", id, &e);
    assert_int_equal(c.res.status, STORE_ERROR);

    capture_t g = do_get(f, "tx", id);
    assert_int_equal(g.res.status, STORE_OK);
    assert_string_equal(g.res.task->title, "before");
    edit_t ok = {.decision = STORE_MODIFY_WRITE};
    c = do_modify(f, "tx", id, &ok);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.task->title, "edited");
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks WHERE user_id = 'tx'"), 1);
}

/* ---- many at once ------------------------------------------------------------------- */

enum { N_BURST = 600 };

static void test_pipelined_burst(void **state)
{
    pgfx_t *f = *state;
    store_task_t t = task_make("burst", "b");
    int64_t id = task_insert(f, &t);
    capture_t *c = calloc(N_BURST, sizeof(*c));
    edit_t e = {.decision = STORE_MODIFY_NO_CHANGE};
    store_task_query_t q = {.completed = -1,
                            .today = "2025-12-10",
                            .week_start = "2025-12-08",
                            .week_end = "2025-12-14",
                            .limit = 1000};
    for (int i = 0; i < N_BURST; i++) {
        switch (i % 4) {
        case 0:
            store_task_get(f->w, f->arena, "burst", id, capture_cb, &c[i]);
            break;
        case 1:
            store_task_create(f->w, f->arena, &t, NULL, capture_cb, &c[i]);
            break;
        case 2:
            store_task_list(f->w, f->arena, "burst", &q, capture_cb, &c[i]);
            break;
        default:
            store_task_modify(f->w, f->arena, "burst", id, NULL, edit_fn, &e, capture_cb, &c[i]);
            break;
        }
    }
    store_pool_stats_t st;
    store_worker_stats(f->w, &st);
    assert_true(st.in_use > 0);
    assert_true(st.waiting > 0); /* more than the pipelines take */

    int total = 0;
    uint64_t deadline = ms_now() + 30000;
    while (total < N_BURST && ms_now() < deadline) {
        h2o_evloop_run(f->loop, 20);
        total = 0;
        for (int i = 0; i < N_BURST; i++)
            total += c[i].calls;
    }
    for (int i = 0; i < N_BURST; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].res.status, STORE_OK);
    }
    assert_int_equal(e.calls, N_BURST / 4);
    st = wait_idle(f); /* the modifies' ROLLBACKs finish in the background */
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks WHERE user_id = 'burst'"),
                     1 + N_BURST / 4);
    free(c);
}

/* ---- users -------------------------------------------------------------------------- */

static void test_users(void **state)
{
    pgfx_t *f = *state;
    store_user_t u = {.id = "usr_1",
                      .email = "ann@example.com",
                      .name = "Ann",
                      .password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
                      .created_at = "2025-12-10T10:00:00Z"};
    capture_t c = {0};
    store_user_create(f->w, f->arena, &u, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.user->id, u.id);
    assert_string_equal(c.res.user->email, u.email);
    assert_string_equal(c.res.user->name, u.name);
    assert_string_equal(c.res.user->password_hash, u.password_hash);
    assert_string_equal(c.res.user->created_at, u.created_at);

    store_user_t dup = u;
    dup.id = "usr_2";
    dup.name = NULL;
    c = (capture_t){0};
    store_user_create(f->w, f->arena, &dup, capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_CONFLICT);

    c = (capture_t){0};
    store_user_get_by_email(f->w, f->arena, "ann@example.com", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.user->id, "usr_1");
    c = (capture_t){0};
    store_user_get(f->w, f->arena, "usr_1", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.user->email, "ann@example.com");
    c = (capture_t){0};
    store_user_get(f->w, f->arena, "usr_2", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    c = (capture_t){0};
    store_user_get_by_email(f->w, f->arena, "nobody@example.com", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);

    /* Deleting the user deletes their tasks, and only theirs. */
    store_task_t t = task_make("usr_1", "hers");
    task_insert(f, &t);
    task_insert(f, &t);
    t.user_id = "usr_other";
    task_insert(f, &t);
    c = (capture_t){0};
    store_user_delete(f->w, "usr_1", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks WHERE user_id = 'usr_1'"), 0);
    assert_int_equal(admin_num(f->admin, "SELECT count(*) FROM tasks WHERE user_id = 'usr_other'"),
                     1);
    c = (capture_t){0};
    store_user_delete(f->w, "usr_1", capture_cb, &c);
    run_until(f->loop, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
}

int main(void)
{
    pg_require_database("store_pg");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_values_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_not_found_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_writes_and_keeps_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_no_change_reject_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_creates_one_successor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_completions_make_one_successor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_transaction_leaves_connection_clean,
                                        setup_one_conn, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
