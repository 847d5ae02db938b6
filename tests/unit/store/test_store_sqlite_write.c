/* Workers without an event loop write in direct mode: they take turns on
 * the store's mutex before they ask SQLite for the write lock (SQLite's busy
 * handler would make a waiting worker sleep with a back-off); reads never
 * take it. (Workers on a loop hand their writes to the group-commit writer:
 * test_store_sqlite_writer.c.) Includes store_sqlite.c to reach the store's
 * mutex. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "store/store_sqlite.c"

typedef struct file_store {
    char dir[64];
    store_t *base;
    store_worker_t *w;
    arena_t *arena;
} file_store_t;

static int setup(void **state)
{
    file_store_t *f = calloc(1, sizeof(*f));
    char url[128], err[256] = "";
    strcpy(f->dir, "/tmp/todo-write-test-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(url, sizeof(url), "sqlite://%s/todo.db", f->dir);
    store_options_t opts = {.migrate_on_start = true};
    if (store_open(url, &opts, &f->base, err, sizeof(err)) != 0 ||
        store_worker_new(f->base, NULL, &f->w) != 0)
        return -1;
    f->arena = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    file_store_t *f = *state;
    store_worker_free(f->w);
    store_close(f->base);
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

static void status_cb(void *ctx, const store_result_t *res)
{
    *(store_status_t *)ctx = res->status;
}

/* A modify callback that records whether the store's mutex was free. */
static int probe_lock(void *fn_ctx, arena_t *arena, const store_task_t *cur, store_task_t *next,
                      store_task_t **successor)
{
    (void)arena;
    (void)cur;
    (void)successor;
    sqlite_store_t *s = fn_ctx;
    int rc = pthread_mutex_trylock(&s->lock);
    if (rc == 0)
        pthread_mutex_unlock(&s->lock);
    next->title = rc == EBUSY ? "held" : "free";
    return STORE_MODIFY_WRITE;
}

static void test_writes_hold_the_store_mutex(void **state)
{
    file_store_t *f = *state;
    sqlite_store_t *s = (sqlite_store_t *)f->base;
    store_task_t t = {.user_id = "alice",
                      .title = "probe",
                      .created_at = "2025-12-10T10:00:00Z",
                      .updated_at = "2025-12-10T10:00:00Z"};
    store_status_t st = STORE_ERROR;
    store_task_create(f->w, f->arena, &t, NULL, status_cb, &st);
    assert_int_equal(st, STORE_OK);

    store_task_modify(f->w, f->arena, "alice", 1, NULL, probe_lock, s, status_cb, &st);
    assert_int_equal(st, STORE_OK);
    store_task_t *task = task_select(WORKER(f->w), f->arena, "alice", 1, &st);
    assert_int_equal(st, STORE_OK);
    assert_string_equal(task->title, "held");
}

static void test_reads_do_not_take_the_store_mutex(void **state)
{
    file_store_t *f = *state;
    sqlite_store_t *s = (sqlite_store_t *)f->base;
    /* With the mutex held elsewhere, reads still answer (a read that took
     * it would never return). */
    pthread_mutex_lock(&s->lock);
    store_status_t st = STORE_ERROR;
    store_ping(f->w, status_cb, &st);
    assert_int_equal(st, STORE_OK);
    store_task_get(f->w, f->arena, "alice", 1, status_cb, &st);
    assert_int_equal(st, STORE_NOT_FOUND);
    store_task_query_t q = {.completed = -1,
                            .today = "2025-12-10",
                            .week_start = "2025-12-08",
                            .week_end = "2025-12-14",
                            .sort_by = SORT_CREATED_AT,
                            .limit = 10};
    store_task_list(f->w, f->arena, "alice", &q, status_cb, &st);
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(st, STORE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_hold_the_store_mutex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_do_not_take_the_store_mutex, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
