/* The SQLite store's operations, each run on a temporary file and on
 * sqlite://:memory:. */
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

/* ---- tasks ---------------------------------------------------------------------- */

static void test_ping(void **state)
{
    fixture_t *f = *state;
    capture_t c = {0};
    store_ping(f->w, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(store_backend_name(f->store), "sqlite");
    store_pool_stats_t st;
    store_worker_stats(f->w, &st);
    assert_int_equal(st.size, 1);
    assert_int_equal(st.in_use, 0);
    assert_true(st.connected);
}

static void test_task_round_trip_all_fields(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Buy milk");
    t.description = "two litres\nsemi-skimmed";
    t.completed = true;
    t.completed_at = "2025-12-10T11:00:00Z";
    t.priority = PRIORITY_HIGH;
    t.tags = "home,shopping";
    t.due_date = "2025-12-12";
    t.due_time = "09:30:00";
    t.recurrence_pattern = RECURRENCE_WEEKLY;
    t.recurrence_day = 5;
    t.updated_at = "2025-12-10T11:00:00Z";

    capture_t c = {0};
    store_task_create(f->w, f->arena, &t, NULL, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    int64_t id = c.res.task->id;
    assert_true(id > 0);
    assert_string_equal(c.res.task->title, "Buy milk");

    store_task_t *got;
    assert_int_equal(task_fetch(f, "alice", id, &got), STORE_OK);
    assert_int_equal(got->id, id);
    assert_string_equal(got->user_id, "alice");
    assert_string_equal(got->title, "Buy milk");
    assert_string_equal(got->description, "two litres\nsemi-skimmed");
    assert_true(got->completed);
    assert_string_equal(got->completed_at, "2025-12-10T11:00:00Z");
    assert_int_equal(got->priority, PRIORITY_HIGH);
    assert_string_equal(got->tags, "home,shopping");
    assert_string_equal(got->due_date, "2025-12-12");
    assert_string_equal(got->due_time, "09:30:00");
    assert_int_equal(got->recurrence_pattern, RECURRENCE_WEEKLY);
    assert_int_equal(got->recurrence_day, 5);
    assert_string_equal(got->created_at, "2025-12-10T10:00:00Z");
    assert_string_equal(got->updated_at, "2025-12-10T11:00:00Z");
    assert_int_equal(got->successor_id, 0);
}

static void test_task_round_trip_nulls(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Ünïcödé ✓ 'quoted' \"x\"; DROP TABLE tasks");
    int64_t id = task_insert(f, &t);
    store_task_t *got;
    assert_int_equal(task_fetch(f, "alice", id, &got), STORE_OK);
    assert_string_equal(got->title, t.title);
    assert_null(got->description);
    assert_false(got->completed);
    assert_null(got->completed_at);
    assert_int_equal(got->priority, PRIORITY_NONE);
    assert_null(got->tags);
    assert_null(got->due_date);
    assert_null(got->due_time);
    assert_int_equal(got->recurrence_pattern, RECURRENCE_NONE);
    assert_int_equal(got->recurrence_day, 0);
    assert_int_equal(got->successor_id, 0);
}

static void test_task_ids_increase(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "a");
    int64_t a = task_insert(f, &t);
    int64_t b = task_insert(f, &t);
    assert_true(b > a);
}

static void test_task_get_is_per_user(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "secret");
    int64_t id = task_insert(f, &t);
    store_task_t *got = NULL;
    assert_int_equal(task_fetch(f, "bob", id, &got), STORE_NOT_FOUND);
    assert_null(got);
    assert_int_equal(task_fetch(f, "alice", id + 1000, NULL), STORE_NOT_FOUND);
}

static void test_task_delete(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "x");
    int64_t id = task_insert(f, &t);
    capture_t c = {0};
    store_task_delete(f->w, "bob", id, NULL, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    assert_int_equal(task_fetch(f, "alice", id, NULL), STORE_OK);

    c = (capture_t){0};
    store_task_delete(f->w, "alice", id, NULL, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(task_fetch(f, "alice", id, NULL), STORE_NOT_FOUND);

    c = (capture_t){0};
    store_task_delete(f->w, "alice", id, NULL, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
}

/* ---- modify --------------------------------------------------------------------- */

typedef struct modify_ctx {
    int calls;
    int decision;
    bool make_successor;
    store_task_t seen; /* cur as the function saw it */
} modify_ctx_t;

/* Completes the task, retitles it, tries to change what must not change, and
 * optionally makes a successor. */
static int modify_fn(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                     store_task_t **successor)
{
    modify_ctx_t *m = fn_ctx;
    m->calls++;
    m->seen = *cur;
    if (m->decision != STORE_MODIFY_WRITE)
        return m->decision;
    next->title = arena_printf(arena, "%s (done)", cur->title);
    next->completed = true;
    next->completed_at = "2025-12-11T08:00:00Z";
    next->updated_at = "2025-12-11T08:00:00Z";
    next->description = NULL;
    next->priority = PRIORITY_LOW;
    next->id = 999999;                         /* ignored */
    next->user_id = "mallory";                 /* ignored */
    next->created_at = "1999-01-01T00:00:00Z"; /* ignored */
    if (m->make_successor && cur->successor_id == 0) {
        store_task_t *s = arena_calloc(arena, 1, sizeof(*s));
        *s = *cur;
        s->id = 0;
        s->completed = false;
        s->completed_at = NULL;
        s->due_date = "2025-12-18";
        s->successor_id = 0;
        *successor = s;
    }
    return STORE_MODIFY_WRITE;
}

static void test_modify_write(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Report");
    t.description = "draft";
    int64_t id = task_insert(f, &t);

    modify_ctx_t m = {.decision = STORE_MODIFY_WRITE};
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(m.calls, 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(m.seen.title, "Report");
    assert_string_equal(m.seen.description, "draft");

    const store_task_t *r = c.res.task;
    assert_int_equal(r->id, id);
    assert_string_equal(r->user_id, "alice");
    assert_string_equal(r->created_at, "2025-12-10T10:00:00Z");
    assert_string_equal(r->title, "Report (done)");
    assert_null(r->description);
    assert_true(r->completed);

    store_task_t *got;
    assert_int_equal(task_fetch(f, "alice", id, &got), STORE_OK);
    assert_string_equal(got->title, "Report (done)");
    assert_null(got->description);
    assert_true(got->completed);
    assert_string_equal(got->completed_at, "2025-12-11T08:00:00Z");
    assert_string_equal(got->updated_at, "2025-12-11T08:00:00Z");
    assert_string_equal(got->created_at, "2025-12-10T10:00:00Z");
    assert_int_equal(got->priority, PRIORITY_LOW);
    assert_int_equal(task_fetch(f, "mallory", id, NULL), STORE_NOT_FOUND);
}

static void test_modify_no_change_and_reject(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Same");
    int64_t id = task_insert(f, &t);

    modify_ctx_t m = {.decision = STORE_MODIFY_NO_CHANGE};
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.task->id, id);
    assert_string_equal(c.res.task->title, "Same");

    m = (modify_ctx_t){.decision = -7};
    c = (capture_t){0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(m.calls, 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_REJECTED);

    store_task_t *got;
    assert_int_equal(task_fetch(f, "alice", id, &got), STORE_OK);
    assert_string_equal(got->title, "Same");
    assert_false(got->completed);
}

static void test_modify_not_found(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "mine");
    int64_t id = task_insert(f, &t);
    modify_ctx_t m = {.decision = STORE_MODIFY_WRITE};
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "bob", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    assert_int_equal(m.calls, 0);
    store_task_modify(f->w, f->arena, "alice", id + 1, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    assert_int_equal(m.calls, 0);
}

static void test_modify_successor(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Water plants");
    t.recurrence_pattern = RECURRENCE_WEEKLY;
    t.recurrence_day = 4;
    t.due_date = "2025-12-11";
    int64_t id = task_insert(f, &t);

    modify_ctx_t m = {.decision = STORE_MODIFY_WRITE, .make_successor = true};
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    int64_t succ = c.res.task->successor_id;
    assert_true(succ > id);

    store_task_t *parent, *child;
    assert_int_equal(task_fetch(f, "alice", id, &parent), STORE_OK);
    assert_int_equal(parent->successor_id, succ);
    assert_int_equal(task_fetch(f, "alice", succ, &child), STORE_OK);
    assert_false(child->completed);
    assert_string_equal(child->title, "Water plants");
    assert_string_equal(child->due_date, "2025-12-18");
    assert_int_equal(child->recurrence_pattern, RECURRENCE_WEEKLY);
    assert_int_equal(child->recurrence_day, 4);
    assert_int_equal(child->successor_id, 0);

    /* Once the parent has a successor the function makes none: still one. */
    m.calls = 0;
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.task->successor_id, succ);
}

/* Retitles the task to fn_ctx and makes a successor whatever cur says: the
 * second time, the insert must fail and nothing of the change stay. */
static int always_successor(void *fn_ctx, arena_t *arena, const store_task_t *cur,
                            store_task_t *next, store_task_t **successor)
{
    next->title = fn_ctx;
    store_task_t *s = arena_alloc(arena, sizeof(*s));
    *s = *cur;
    s->successor_id = 0;
    *successor = s;
    return STORE_MODIFY_WRITE;
}

static void test_modify_second_successor_rolls_back(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "Daily");
    t.recurrence_pattern = RECURRENCE_DAILY;
    int64_t id = task_insert(f, &t);
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, always_successor, "first", capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    int64_t first = c.res.task->successor_id;
    assert_true(first > 0);

    c = (capture_t){0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, always_successor, "second", capture_cb,
                      &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_ERROR); /* parent_id is UNIQUE */

    store_task_t *got;
    assert_int_equal(task_fetch(f, "alice", id, &got), STORE_OK);
    assert_string_equal(got->title, "first");
    assert_int_equal(got->successor_id, first);

    /* The store still works after the failed transaction. */
    store_task_t t2 = task_make("alice", "after");
    task_insert(f, &t2);
}

/* ---- users ---------------------------------------------------------------------- */

static store_status_t user_create(fixture_t *f, const char *id, const char *email)
{
    store_user_t u = {.id = id,
                      .email = email,
                      .name = NULL,
                      .password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                      .created_at = "2025-12-10T10:00:00Z"};
    capture_t c = {0};
    store_user_create(f->w, f->arena, &u, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    if (c.res.status == STORE_OK) {
        assert_string_equal(c.res.user->id, id);
        assert_string_equal(c.res.user->email, email);
    }
    return c.res.status;
}

static void test_users(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(user_create(f, "u1", "ann@example.com"), STORE_OK);
    assert_int_equal(user_create(f, "u2", "ann@example.com"), STORE_CONFLICT);
    assert_int_equal(user_create(f, "u2", "bob@example.com"), STORE_OK);

    capture_t c = {0};
    store_user_get_by_email(f->w, f->arena, "ann@example.com", capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.user->id, "u1");
    assert_null(c.res.user->name);
    assert_string_equal(c.res.user->password_hash, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA");
    assert_string_equal(c.res.user->created_at, "2025-12-10T10:00:00Z");

    c = (capture_t){0};
    store_user_get(f->w, f->arena, "u2", capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.user->email, "bob@example.com");

    c = (capture_t){0};
    store_user_get(f->w, f->arena, "nobody", capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    c = (capture_t){0};
    store_user_get_by_email(f->w, f->arena, "ANN@example.com", capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
}

static void test_user_delete_takes_tasks(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(user_create(f, "u1", "ann@example.com"), STORE_OK);
    store_task_t t1 = task_make("u1", "one");
    store_task_t t2 = task_make("u2", "other user's");
    int64_t a = task_insert(f, &t1);
    int64_t b = task_insert(f, &t1);
    int64_t keep = task_insert(f, &t2);

    capture_t c = {0};
    store_user_delete(f->w, "u1", capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(task_fetch(f, "u1", a, NULL), STORE_NOT_FOUND);
    assert_int_equal(task_fetch(f, "u1", b, NULL), STORE_NOT_FOUND);
    assert_int_equal(task_fetch(f, "u2", keep, NULL), STORE_OK);

    c = (capture_t){0};
    store_user_get(f->w, f->arena, "u1", capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    c = (capture_t){0};
    store_user_delete(f->w, "u1", capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    /* The email is free again. */
    assert_int_equal(user_create(f, "u3", "ann@example.com"), STORE_OK);
}

/* ---- sharing and concurrency ------------------------------------------------------- */

static void test_workers_share_the_database(void **state)
{
    fixture_t *f = *state;
    store_worker_t *w2;
    assert_int_equal(store_worker_new(f->store, NULL, &w2), 0);
    store_task_t t = task_make("alice", "seen by both");
    int64_t id = task_insert(f, &t);
    capture_t c = {0};
    store_task_get(w2, f->arena, "alice", id, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    assert_string_equal(c.res.task->title, "seen by both");
    store_worker_free(w2);
}

enum { THREADS = 4, ROUNDS = 50 };

typedef struct race {
    store_t *store;
    int64_t id;
    int failures;
} race_t;

/* Each thread creates tasks and tries to complete the shared recurring task
 * with a successor: the store must make exactly one. */
static void *race_thread(void *arg)
{
    race_t *r = arg;
    store_worker_t *w;
    arena_t *arena = arena_new();
    if (store_worker_new(r->store, NULL, &w) != 0) {
        r->failures++;
        arena_free(arena);
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        store_task_t t = task_make("racer", "busy");
        capture_t c = {0};
        store_task_create(w, arena, &t, NULL, capture_cb, &c);
        if (c.calls != 1 || c.res.status != STORE_OK)
            r->failures++;
        modify_ctx_t m = {.decision = STORE_MODIFY_WRITE, .make_successor = true};
        c = (capture_t){0};
        store_task_modify(w, arena, "racer", r->id, NULL, modify_fn, &m, capture_cb, &c);
        if (c.calls != 1 || c.res.status != STORE_OK)
            r->failures++;
        arena_reset(arena);
    }
    store_worker_free(w);
    arena_free(arena);
    return NULL;
}

static void test_concurrent_workers(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("racer", "Recurring");
    t.recurrence_pattern = RECURRENCE_DAILY;
    int64_t id = task_insert(f, &t);
    race_t races[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        races[i] = (race_t){.store = f->store, .id = id};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &races[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(races[i].failures, 0);
    }
    store_task_query_t q = {.completed = -1, .today = "2025-12-10", .limit = 1000};
    capture_t c = {0};
    store_task_list(f->w, f->arena, "racer", &q, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    /* The recurring task, its one successor, and every created task. */
    assert_int_equal(c.res.total, 2 + THREADS * ROUNDS);
}

/* Another process holds the write lock past the busy timeout (5 s): writes
 * answer STORE_UNAVAILABLE, while reads go on (WAL). */
static void test_locked_database_is_unavailable(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_make("alice", "before the lock");
    int64_t id = task_insert(f, &t);

    char path[160];
    snprintf(path, sizeof(path), "%s/todo.db", f->dir);
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    modify_ctx_t m = {.decision = STORE_MODIFY_WRITE};
    capture_t c = {0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_UNAVAILABLE);
    assert_int_equal(m.calls, 0);
    assert_int_equal(task_fetch(f, "alice", id, NULL), STORE_OK);

    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    /* And it recovers by itself. */
    c = (capture_t){0};
    store_task_modify(f->w, f->arena, "alice", id, NULL, modify_fn, &m, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
}

/* ---- opening ---------------------------------------------------------------------- */

static void test_open_refuses_pending_migrations(void **state)
{
    (void)state;
    fixture_t f = {0};
    fixture_url(&f, true);
    char err[256] = "";
    store_t *s = NULL;
    store_options_t opts = {.migrate_on_start = false};
    assert_int_equal(store_open(f.url, &opts, &s, err, sizeof(err)), STORE_ERROR);
    assert_null(s);
    char pending[32];
    snprintf(pending, sizeof(pending), "%zu migrations pending", migrations_sqlite_count);
    assert_non_null(strstr(err, pending));
    assert_non_null(strstr(err, "migrate up"));

    opts.migrate_on_start = true;
    assert_int_equal(store_open(f.url, &opts, &s, err, sizeof(err)), 0);
    store_close(s);
    /* Now up to date: opening without migrating is fine. */
    opts.migrate_on_start = false;
    assert_int_equal(store_open(f.url, &opts, &s, err, sizeof(err)), 0);
    store_close(s);
    fixture_remove_files(&f);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[256] = "";
    store_t *s = NULL;
    store_options_t opts = {.migrate_on_start = true};
    assert_int_equal(store_open("sqlite://", &opts, &s, err, sizeof(err)), STORE_ERROR);
    assert_null(s);
    assert_non_null(strstr(err, "no path"));
    err[0] = '\0';
    assert_int_equal(
        store_open("sqlite:///nonexistent-dir-for-test/x.db", &opts, &s, err, sizeof(err)),
        STORE_UNAVAILABLE);
    assert_null(s);
    assert_non_null(strstr(err, "cannot open"));
}

static void test_memory_stores_are_separate(void **state)
{
    (void)state;
    char err[256];
    store_options_t opts = {.migrate_on_start = true};
    store_t *s1, *s2;
    store_worker_t *w1, *w2;
    arena_t *a = arena_new();
    assert_int_equal(store_open("sqlite://:memory:", &opts, &s1, err, sizeof(err)), 0);
    assert_int_equal(store_open("sqlite://:memory:", &opts, &s2, err, sizeof(err)), 0);
    assert_int_equal(store_worker_new(s1, NULL, &w1), 0);
    assert_int_equal(store_worker_new(s2, NULL, &w2), 0);
    store_task_t t = task_make("alice", "only in s1");
    capture_t c = {0};
    store_task_create(w1, a, &t, NULL, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_OK);
    int64_t id = c.res.task->id;
    store_task_get(w2, a, "alice", id, capture_cb, &c);
    assert_int_equal(c.res.status, STORE_NOT_FOUND);
    store_worker_free(w1);
    store_worker_free(w2);
    store_close(s1);
    store_close(s2);
    arena_free(a);
}

static void test_path_parsing(void **state)
{
    (void)state;
    char out[64], err[128];
    assert_int_equal(
        store__sqlite_path("sqlite://./data/todo.db", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "./data/todo.db");
    assert_int_equal(
        store__sqlite_path("sqlite:///var/lib/todo.db", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "/var/lib/todo.db");
    assert_int_equal(store__sqlite_path("sqlite://:memory:", out, sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, ":memory:");
    /* Never read as an SQLite URI. */
    assert_int_equal(
        store__sqlite_path("sqlite://file:x.db?mode=ro", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "./file:x.db?mode=ro");
    assert_int_equal(store__sqlite_path("sqlite://", out, sizeof(out), err, sizeof(err)), -1);
    char longurl[200];
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[sizeof(longurl) - 1] = '\0';
    memcpy(longurl, "sqlite://", 9);
    assert_int_equal(store__sqlite_path(longurl, out, sizeof(out), err, sizeof(err)), -1);
}

static void test_error_mapping(void **state)
{
    (void)state;
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_BUSY, "t"), STORE_UNAVAILABLE);
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_BUSY_SNAPSHOT, "t"), STORE_UNAVAILABLE);
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_LOCKED, "t"), STORE_UNAVAILABLE);
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_IOERR_READ, "t"), STORE_UNAVAILABLE);
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_CONSTRAINT_CHECK, "t"), STORE_ERROR);
    assert_int_equal(store__sqlite_fail(NULL, SQLITE_ERROR, "t"), STORE_ERROR);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_file, fixture_teardown),                             \
        cmocka_unit_test_setup_teardown(fn, setup_memory, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_ping),
        BOTH(test_task_round_trip_all_fields),
        BOTH(test_task_round_trip_nulls),
        BOTH(test_task_ids_increase),
        BOTH(test_task_get_is_per_user),
        BOTH(test_task_delete),
        BOTH(test_modify_write),
        BOTH(test_modify_no_change_and_reject),
        BOTH(test_modify_not_found),
        BOTH(test_modify_successor),
        BOTH(test_modify_second_successor_rolls_back),
        BOTH(test_users),
        BOTH(test_user_delete_takes_tasks),
        BOTH(test_workers_share_the_database),
        BOTH(test_concurrent_workers),
        cmocka_unit_test_setup_teardown(test_locked_database_is_unavailable, setup_file,
                                        fixture_teardown),
        cmocka_unit_test(test_open_refuses_pending_migrations),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_memory_stores_are_separate),
        cmocka_unit_test(test_path_parsing),
        cmocka_unit_test(test_error_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
