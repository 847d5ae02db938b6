/* What the store unit tests share: an SQLite store on a fresh temporary file
 * or on sqlite://:memory:, one worker, one arena, and a callback that
 * records the result and how often it ran. Include after <cmocka.h>. */
#ifndef TODO_TESTS_STORE_FIXTURE_H
#define TODO_TESTS_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];  /* temporary folder, "" for :memory: */
    char url[128]; /* the store's URL */
    store_t *store;
    store_worker_t *w;
    arena_t *arena;
} fixture_t;

typedef struct capture {
    int calls;
    store_result_t res;
} capture_t;

/** A store_cb that copies the result into a capture_t. */
static inline void capture_cb(void *ctx, const store_result_t *res)
{
    capture_t *c = ctx;
    c->calls++;
    c->res = *res;
}

/** Fills f->dir and f->url for a new file database (file = true) or for a
 *  shared in-memory one. */
static inline void fixture_url(fixture_t *f, bool file)
{
    if (file) {
        strcpy(f->dir, "/tmp/todo-store-test-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->url, sizeof(f->url), "sqlite://%s/todo.db", f->dir);
    } else {
        f->dir[0] = '\0';
        snprintf(f->url, sizeof(f->url), "sqlite://:memory:");
    }
}

/** Removes the temporary folder and the database files in it. */
static inline void fixture_remove_files(fixture_t *f)
{
    if (f->dir[0] == '\0')
        return;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[160];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s/todo.db%s", f->dir, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
}

static inline int fixture_setup(void **state, bool file)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char err[256] = "";
    fixture_url(f, file);
    store_options_t opts = {.migrate_on_start = true};
    if (store_open(f->url, &opts, &f->store, err, sizeof(err)) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    if (store_worker_new(f->store, NULL, &f->w) != 0)
        return -1;
    f->arena = arena_new();
    *state = f;
    return 0;
}

static inline int setup_file(void **state)
{
    return fixture_setup(state, true);
}

static inline int setup_memory(void **state)
{
    return fixture_setup(state, false);
}

static inline int fixture_teardown(void **state)
{
    fixture_t *f = *state;
    store_worker_free(f->w);
    store_close(f->store);
    arena_free(f->arena);
    fixture_remove_files(f);
    free(f);
    return 0;
}

/** A task of user with every optional field null. */
static inline store_task_t task_make(const char *user, const char *title)
{
    return (store_task_t){
        .user_id = user,
        .title = title,
        .created_at = "2025-12-10T10:00:00Z",
        .updated_at = "2025-12-10T10:00:00Z",
    };
}

/** Creates t and returns its id (asserting success). */
static inline int64_t task_insert(fixture_t *f, const store_task_t *t)
{
    capture_t c = {0};
    store_task_create(f->w, f->arena, t, NULL, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_non_null(c.res.task);
    assert_true(c.res.task->id > 0);
    return c.res.task->id;
}

/** Gets a task: the status, and the task in *out when found. */
static inline store_status_t task_fetch(fixture_t *f, const char *user, int64_t id,
                                        store_task_t **out)
{
    capture_t c = {0};
    store_task_get(f->w, f->arena, user, id, capture_cb, &c);
    assert_int_equal(c.calls, 1);
    if (out != NULL)
        *out = c.res.task;
    return c.res.status;
}

#endif
