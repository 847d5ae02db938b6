/* Group commit: workers on event loops hand their writes to the store's one
 * writer, which commits them together, one savepoint per write, and answers
 * each on its worker's loop after the COMMIT that holds it. Includes
 * store_sqlite.c to reach the writer and the write plumbing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store/store_sqlite.c"

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer's hook, as in src/main.c: h2o keeps per-thread free lists of
 * socket buffers (h2o_mem_alloc_recycle) with no call that empties them, so
 * the worker threads below leave theirs behind when they end. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\n";
}
#endif

enum { N_THREADS = 4, PER_THREAD = 300 };

/* What the store announced (store_options_t.on_event), from any thread. */
typedef struct event_log {
    pthread_mutex_t lock;
    int calls;
    char user[32];    /* the last call's */
    int64_t last_id;  /* the last call's */
    const int *watch; /* an answer counter, read at each call */
    int watched;
} event_log_t;

static event_log_t events = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_event(void *ctx, const char *user_id, int64_t last_id)
{
    event_log_t *e = ctx;
    pthread_mutex_lock(&e->lock);
    e->calls++;
    snprintf(e->user, sizeof(e->user), "%s", user_id != NULL ? user_id : "");
    e->last_id = last_id;
    e->watched = e->watch != NULL ? *e->watch : -1;
    pthread_mutex_unlock(&e->lock);
}

/* Forgets what was announced; calls made with user_id count from now. */
static void events_reset(const int *watch)
{
    pthread_mutex_lock(&events.lock);
    events.calls = 0;
    events.user[0] = '\0';
    events.last_id = 0;
    events.watch = watch;
    events.watched = -1;
    pthread_mutex_unlock(&events.lock);
}

typedef struct fx {
    char dir[64];
    store_t *store;
    sqlite_store_t *s;
    h2o_loop_t *loop;
    store_worker_t *w; /* on loop */
    arena_t *arena;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    char url[128], err[256] = "";
    strcpy(f->dir, "/tmp/todo-writer-test-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(url, sizeof(url), "sqlite://%s/todo.db", f->dir);
    store_options_t opts = {
        .migrate_on_start = true, .on_event = on_event, .on_event_ctx = &events};
    if (store_open(url, &opts, &f->store, err, sizeof(err)) != 0)
        return -1;
    f->s = (sqlite_store_t *)f->store;
    events_reset(NULL);
    f->loop = h2o_evloop_create();
    if (store_worker_new(f->store, f->loop, &f->w) != 0)
        return -1;
    f->arena = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    store_worker_free(f->w);
    h2o_evloop_run(f->loop, 0); /* let the inbox's socket be disposed of */
    h2o_evloop_destroy(f->loop);
    store_close(f->store);
    arena_free(f->arena);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s/todo.db%s", f->dir, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* What a callback saw. */
typedef struct answer {
    int calls;
    store_status_t status;
    int64_t id;
    unsigned long batch_seen; /* the writer's batches when answered */
    pthread_t thread;
} answer_t;

static sqlite_writer_t *writer_of(fx_t *f)
{
    return f->s->writer;
}

static void answer_cb(void *ctx, const store_result_t *res)
{
    answer_t *a = ctx;
    a->calls++;
    a->status = res->status;
    a->id = res->task != NULL ? res->task->id : 0;
    a->thread = pthread_self();
}

/* Runs loop until *n answers have come, for at most 30 s. */
static void run_until(h2o_loop_t *loop, const int *count, int n)
{
    for (int i = 0; i < 3000 && *count < n; i++)
        h2o_evloop_run(loop, 10);
    assert_true(*count >= n);
}

static int64_t count_rows(fx_t *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->s->db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static store_task_t task_of(const char *user, const char *title)
{
    return (store_task_t){.user_id = user,
                          .title = title,
                          .created_at = "2025-12-10T10:00:00Z",
                          .updated_at = "2025-12-10T10:00:00Z"};
}

/* ---- a gate: a write that holds the writer until the test opens it ---------- */

typedef struct gate {
    sq_write_t op; /* every write of this store is an sq_write_t */
    atomic_int entered, open;
} gate_t;

static store_status_t run_gate(store_worker_t *conn, sqlite_write_t *w)
{
    (void)conn;
    gate_t *g = (gate_t *)w;
    atomic_store(&g->entered, 1);
    while (!atomic_load(&g->open)) {
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    return STORE_OK;
}

static void gate_cb(void *ctx, const store_result_t *res)
{
    (void)res;
    (*(int *)ctx)++;
}

/* Submits a gate and returns once the writer is inside it: what is
 * submitted next waits, and then runs as one batch. */
static gate_t *gate_close(fx_t *f, int *answered)
{
    gate_t *g = xcalloc(1, sizeof(*g));
    g->op.base.run = run_gate;
    g->op.base.cb = gate_cb;
    g->op.base.ctx = answered;
    sqlite_worker_t *w = WORKER(f->w);
    store__sqlite_write_submit(writer_of(f), w->inbox, &g->op.base);
    while (!atomic_load(&g->entered)) {
        struct timespec ts = {0, 200000L};
        nanosleep(&ts, NULL);
    }
    return g;
}

/* ---- a write that changes something, then fails --------------------------------- */

typedef struct half {
    sq_write_t op; /* a task create, plus: */
    store_status_t fail_with;
} half_t;

static store_status_t run_half(store_worker_t *conn, sqlite_write_t *w)
{
    half_t *h = (half_t *)w;
    /* Its row is written (no cmocka assertions on the writer's thread) ... */
    if (run_task_create(conn, w) != STORE_OK)
        fprintf(stderr, "half write: the create failed\n");
    return h->fail_with; /* ... and then it fails */
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_answers_come_on_the_loop_after_commit(void **state)
{
    fx_t *f = *state;
    store_task_t t = task_of("alice", "one");
    answer_t a = {0};
    store_task_create(f->w, f->arena, &t, NULL, answer_cb, &a);
    assert_int_equal(a.calls, 0); /* never before the call returns */
    run_until(f->loop, &a.calls, 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, STORE_OK);
    assert_true(pthread_equal(a.thread, pthread_self()));
    /* Committed: another connection sees it. */
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE title = 'one'"), 1);
}

/* Writes waiting together run in one transaction, in arrival order. */
static void test_waiting_writes_share_one_batch(void **state)
{
    fx_t *f = *state;
    store__sqlite_writer_set_limits(writer_of(f), 256, UINT64_MAX);
    int gate_answers = 0;
    gate_t *g = gate_close(f, &gate_answers);

    enum { N = 20 };
    answer_t a[N] = {0};
    store_task_t t[N];
    char titles[N][16];
    int answered = 0;
    for (int i = 0; i < N; i++) {
        snprintf(titles[i], sizeof(titles[i]), "batched %d", i);
        t[i] = task_of("bob", titles[i]);
        store_task_create(f->w, f->arena, &t[i], NULL, answer_cb, &a[i]);
    }
    unsigned long before = store__sqlite_writer_batches(writer_of(f));
    atomic_store(&g->open, 1);
    for (int i = 0; i < 3000 && answered < N; i++) {
        h2o_evloop_run(f->loop, 10);
        answered = 0;
        for (int k = 0; k < N; k++)
            answered += a[k].calls;
    }
    assert_int_equal(answered, N);
    assert_int_equal(gate_answers, 1);
    /* One more transaction for all twenty. */
    assert_int_equal(store__sqlite_writer_batches(writer_of(f)), before + 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(a[i].status, STORE_OK);
        if (i > 0)
            assert_true(a[i].id > a[i - 1].id); /* arrival order */
    }
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'bob'"), N);
}

/* A write that fails after changing something rolls back to its own
 * savepoint: its change is gone, the others of its batch are committed. */
static void test_failing_write_rolls_back_alone(void **state)
{
    fx_t *f = *state;
    store__sqlite_writer_set_limits(writer_of(f), 256, UINT64_MAX);
    static const store_status_t failures[] = {STORE_ERROR, STORE_REJECTED, STORE_NOT_FOUND};
    for (size_t k = 0; k < sizeof(failures) / sizeof(failures[0]); k++) {
        int gate_answers = 0;
        gate_t *g = gate_close(f, &gate_answers);
        events_reset(NULL);
        store_task_t good1 = task_of("carol", "good before"), bad = task_of("carol", "bad"),
                     good2 = task_of("carol", "good after");
        answer_t a1 = {0}, ab = {0}, a2 = {0};
        store_task_create(f->w, f->arena, &good1, NULL, answer_cb, &a1);
        half_t *h = xcalloc(1, sizeof(*h));
        h->op.base.run = run_half;
        h->op.base.cb = answer_cb;
        h->op.base.ctx = &ab;
        h->op.arena = f->arena;
        h->op.task = &bad;
        h->fail_with = failures[k];
        store__sqlite_write_submit(writer_of(f), WORKER(f->w)->inbox, &h->op.base);
        store_task_create(f->w, f->arena, &good2, NULL, answer_cb, &a2);
        atomic_store(&g->open, 1);
        int total = 0;
        for (int i = 0; i < 3000 && total < 3; i++) {
            h2o_evloop_run(f->loop, 10);
            total = a1.calls + ab.calls + a2.calls;
        }
        assert_int_equal(total, 3);
        assert_int_equal(a1.status, STORE_OK);
        assert_int_equal(ab.status, failures[k]);
        assert_int_equal(a2.status, STORE_OK);
        assert_int_equal(
            count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'carol' AND title = 'bad'"),
            0);
        assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'carol' AND "
                                       "title LIKE 'good%'"),
                         2 * (int64_t)(k + 1));
        /* Its change-log event went with it: two announced, ids without a gap. */
        assert_int_equal(events.calls, 2);
        assert_int_equal(events.last_id, 2 * (int64_t)(k + 1));
        assert_int_equal(count_rows(f, "SELECT count(*) FROM task_events WHERE user_id = 'carol'"),
                         2 * (int64_t)(k + 1));
    }
}

/* A write whose failure takes the whole transaction down: nothing of the
 * batch is acknowledged, nothing of it is stored. */
static store_status_t run_rollback_all(store_worker_t *conn, sqlite_write_t *w)
{
    (void)w;
    assert_int_equal(sqlite3_exec(WORKER(conn)->conn.db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    return STORE_UNAVAILABLE;
}

static void test_lost_transaction_acknowledges_nothing(void **state)
{
    fx_t *f = *state;
    store__sqlite_writer_set_limits(writer_of(f), 256, UINT64_MAX);
    int gate_answers = 0;
    gate_t *g = gate_close(f, &gate_answers);
    store_task_t before = task_of("dave", "before"), after = task_of("dave", "after");
    answer_t a1 = {0}, ab = {0}, a2 = {0};
    store_task_create(f->w, f->arena, &before, NULL, answer_cb, &a1);
    sq_write_t *bad = write_new(run_rollback_all, answer_cb, &ab);
    store__sqlite_write_submit(writer_of(f), WORKER(f->w)->inbox, &bad->base);
    store_task_create(f->w, f->arena, &after, NULL, answer_cb, &a2);
    atomic_store(&g->open, 1);
    int total = 0;
    for (int i = 0; i < 3000 && total < 3; i++) {
        h2o_evloop_run(f->loop, 10);
        total = a1.calls + ab.calls + a2.calls;
    }
    assert_int_equal(total, 3);
    /* The write before it had run, but its transaction never committed. */
    assert_int_equal(a1.status, STORE_UNAVAILABLE);
    assert_int_equal(ab.status, STORE_UNAVAILABLE);
    /* The one after it ran in the next transaction. */
    assert_int_equal(a2.status, STORE_OK);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'dave'"), 1);
    assert_int_equal(
        count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'dave' AND title = 'after'"), 1);
}

/* ---- many workers at once ------------------------------------------------------ */

typedef struct runner {
    fx_t *f;
    int index;
    int ok, answered;
    int successors; /* completes that made a successor */
    int64_t recurring_id;
    bool started;
} runner_t;

static void count_cb(void *ctx, const store_result_t *res)
{
    runner_t *r = ctx;
    r->answered++;
    if (res->status == STORE_OK && res->task != NULL && res->task->id > 0)
        r->ok++;
}

/* Completes a recurring task once: the successor is made only by the write
 * that finds it not completed yet. */
static int complete_once(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                         store_task_t **successor)
{
    runner_t *r = fn_ctx;
    if (cur->completed)
        return STORE_MODIFY_NO_CHANGE;
    next->completed = true;
    next->completed_at = "2025-12-10T11:00:00Z";
    store_task_t *s = arena_calloc(arena, 1, sizeof(*s));
    *s = *cur;
    s->completed = false;
    s->completed_at = NULL;
    s->successor_id = 0;
    *successor = s;
    r->successors++;
    return STORE_MODIFY_WRITE;
}

static void *runner_main(void *arg)
{
    runner_t *r = arg;
    h2o_loop_t *loop = h2o_evloop_create();
    store_worker_t *w = NULL;
    r->started = store_worker_new(r->f->store, loop, &w) == 0;
    if (!r->started) {
        h2o_evloop_destroy(loop);
        return NULL;
    }
    arena_t *arena = arena_new();
    char user[16];
    snprintf(user, sizeof(user), "runner%d", r->index);
    store_task_t t = task_of(user, "many");
    /* Everything in flight at once, then the completes of the same task. */
    for (int i = 0; i < PER_THREAD; i++)
        store_task_create(w, arena, &t, NULL, count_cb, r);
    for (int i = 0; i < 5; i++)
        store_task_modify(w, arena, "shared", r->recurring_id, NULL, complete_once, r, count_cb, r);
    for (int i = 0; i < 3000 && r->answered < PER_THREAD + 5; i++)
        h2o_evloop_run(loop, 10);
    store_worker_free(w);
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    arena_free(arena);
    return NULL;
}

/* Workers on their own threads write at the same time: every write is
 * answered OK on its own loop, every acknowledged row is there, the writes
 * were grouped, and concurrent completes made exactly one successor. */
static void test_many_workers_write_together(void **state)
{
    fx_t *f = *state;
    store_task_t rec = task_of("shared", "standup");
    rec.recurrence_pattern = RECURRENCE_DAILY;
    answer_t a = {0};
    store_task_create(f->w, f->arena, &rec, NULL, answer_cb, &a);
    run_until(f->loop, &a.calls, 1);
    assert_int_equal(a.status, STORE_OK);

    unsigned long before = store__sqlite_writer_batches(writer_of(f));
    runner_t r[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        r[i] = (runner_t){.f = f, .index = i, .recurring_id = a.id};
        assert_int_equal(pthread_create(&th[i], NULL, runner_main, &r[i]), 0);
    }
    int successors = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_true(r[i].started);
        assert_int_equal(r[i].answered, PER_THREAD + 5);
        assert_int_equal(r[i].ok, PER_THREAD + 5);
        successors += r[i].successors;
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks WHERE user_id = 'runner%d'", i);
        assert_int_equal(count_rows(f, sql), PER_THREAD);
    }
    assert_int_equal(successors, 1);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'shared'"), 2);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'shared' AND "
                                   "completed = 1 AND successor_id IS NOT NULL"),
                     1);
    /* Grouped: far fewer transactions than writes. */
    unsigned long batches = store__sqlite_writer_batches(writer_of(f)) - before;
    assert_true(batches < (unsigned long)(N_THREADS * (PER_THREAD + 5)));
}

/* ---- the hook and shutting down -------------------------------------------------- */

/* The change log's events are announced after the commit that holds them and
 * before the write is answered. */
static void test_events_announced_after_commit_before_answer(void **state)
{
    fx_t *f = *state;
    answer_t a = {0};
    events_reset(&a.calls);
    store_task_t t = task_of("erin", "announced");
    store_task_create(f->w, f->arena, &t, NULL, answer_cb, &a);
    run_until(f->loop, &a.calls, 1);
    assert_int_equal(a.status, STORE_OK);
    assert_int_equal(events.calls, 1);
    assert_string_equal(events.user, "erin");
    assert_int_equal(events.last_id, 1);
    assert_int_equal(events.watched, 0); /* not answered yet when announced */
    events_reset(NULL);
}

/* Freeing a worker answers the writes still on their way, committed. */
static void test_free_answers_writes_in_flight(void **state)
{
    fx_t *f = *state;
    enum { N = 50 };
    answer_t a[N] = {0};
    store_task_t t = task_of("frank", "in flight");
    for (int i = 0; i < N; i++)
        store_task_create(f->w, f->arena, &t, NULL, answer_cb, &a[i]);
    store_worker_free(f->w); /* without running the loop */
    f->w = NULL;
    for (int i = 0; i < N; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_int_equal(a[i].status, STORE_OK);
    }
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'frank'"), N);
    assert_int_equal(store_worker_new(f->store, f->loop, &f->w), 0);
}

/* Without a loop a worker writes in direct mode: answered before the call
 * returns, through the same savepoint, its events announced first. */
static void test_direct_mode_without_a_loop(void **state)
{
    fx_t *f = *state;
    store_worker_t *w = NULL;
    assert_int_equal(store_worker_new(f->store, NULL, &w), 0);
    answer_t a = {0};
    events_reset(&a.calls);
    store_task_t t = task_of("gina", "direct");
    store_task_create(w, f->arena, &t, NULL, answer_cb, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, STORE_OK);
    assert_int_equal(events.calls, 1);
    assert_int_equal(events.watched, 0);
    events_reset(NULL);
    store_worker_free(w);
    assert_int_equal(count_rows(f, "SELECT count(*) FROM tasks WHERE user_id = 'gina'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answers_come_on_the_loop_after_commit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_waiting_writes_share_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_write_rolls_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_transaction_acknowledges_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_workers_write_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_announced_after_commit_before_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_answers_writes_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_direct_mode_without_a_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
