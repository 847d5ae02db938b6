/* The change-log tests both backends run (API.md section 7.3): every task
 * change writes exactly its events, in order, in its own transaction, and a
 * change that fails or is refused writes none. The including file provides
 * an ev_env_t: a worker, an arena and a function that waits for n callbacks
 * (SQLite answers at once; PostgreSQL turns its loop). Include after
 * <cmocka.h>. */
#ifndef TODO_TESTS_EVENTS_CASES_H
#define TODO_TESTS_EVENTS_CASES_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "store/store.h"

typedef struct ev_capture {
    int calls;
    store_result_t res;
} ev_capture_t;

typedef struct ev_env {
    store_worker_t *w;
    arena_t *arena;
    void (*wait)(struct ev_env *env, const int *calls, int want);
    void *loop;
} ev_env_t;

static inline void ev_cb(void *ctx, const store_result_t *res)
{
    ev_capture_t *c = ctx;
    c->calls++;
    c->res = *res;
}

/** The encoder the tests inject: small and exact. */
static inline void ev_test_encoder(const store_task_t *t, buf_t *out)
{
    buf_printf(out, "{\"id\":%" PRId64 ",\"title\":\"%s\",\"completed\":%s}", t->id, t->title,
               t->completed ? "true" : "false");
}

static inline store_task_t ev_task(const char *user, const char *title)
{
    return (store_task_t){.user_id = user,
                          .title = title,
                          .created_at = "2025-12-10T10:00:00Z",
                          .updated_at = "2025-12-10T10:00:00Z"};
}

static inline int64_t ev_create(ev_env_t *e, const char *user, const char *title)
{
    store_task_t t = ev_task(user, title);
    ev_capture_t c = {0};
    store_task_create(e->w, e->arena, &t, NULL, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    return c.res.task->id;
}

/* What the modify callback does. */
typedef struct ev_edit {
    int decision;
    const char *title;
    bool successor;
} ev_edit_t;

static inline int ev_edit_fn(void *fn_ctx, arena_t *arena, const store_task_t *cur,
                             store_task_t *next, store_task_t **successor)
{
    ev_edit_t *ed = fn_ctx;
    if (ed->decision != STORE_MODIFY_WRITE)
        return ed->decision;
    next->title = ed->title;
    next->completed = true;
    next->completed_at = "2025-12-10T11:00:00Z";
    next->updated_at = "2025-12-10T11:00:00Z";
    if (ed->successor) {
        store_task_t *s = arena_alloc(arena, sizeof(*s));
        *s = *cur;
        s->completed = false;
        s->completed_at = NULL;
        s->title = "next one";
        s->successor_id = 0;
        *successor = s;
    }
    return STORE_MODIFY_WRITE;
}

static inline store_status_t ev_modify(ev_env_t *e, const char *user, int64_t id, ev_edit_t *ed,
                                       int64_t *successor_id)
{
    ev_capture_t c = {0};
    store_task_modify(e->w, e->arena, user, id, NULL, ev_edit_fn, ed, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    if (successor_id != NULL && c.res.status == STORE_OK)
        *successor_id = c.res.task->successor_id;
    return c.res.status;
}

static inline store_status_t ev_delete(ev_env_t *e, const char *user, int64_t id)
{
    ev_capture_t c = {0};
    store_task_delete(e->w, user, id, NULL, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    return c.res.status;
}

/** The log of user after after_id (everything kept). */
static inline store_result_t ev_read(ev_env_t *e, const char *user, int64_t after_id, int limit)
{
    ev_capture_t c = {0};
    store_events_read(e->w, e->arena, user, after_id, 0, limit, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    return c.res;
}

static inline void ev_expect(const store_event_t *ev, int64_t id, const char *type,
                             const char *data)
{
    assert_int_equal(ev->id, id);
    assert_string_equal(ev->type, type);
    assert_string_equal(ev->data, data);
}

/* Every kind of change writes its events, with the data the API shows. */
static inline void ev_case_every_change(ev_env_t *e)
{
    char want[256];
    int64_t a = ev_create(e, "ev1", "first");
    ev_edit_t upd = {.decision = STORE_MODIFY_WRITE, .title = "renamed"};
    assert_int_equal(ev_modify(e, "ev1", a, &upd, NULL), STORE_OK);
    ev_edit_t rec = {.decision = STORE_MODIFY_WRITE, .title = "done", .successor = true};
    int64_t b = 0;
    assert_int_equal(ev_modify(e, "ev1", a, &rec, &b), STORE_OK);
    assert_true(b > a);
    assert_int_equal(ev_delete(e, "ev1", a), STORE_OK);

    store_result_t r = ev_read(e, "ev1", 0, 100);
    assert_int_equal(r.n_events, 5);
    assert_int_equal(r.last_event_id, 5);
    snprintf(want, sizeof(want),
             "{\"task\": {\"id\":%" PRId64 ",\"title\":\"first\",\"completed\":false}}", a);
    ev_expect(&r.events[0], 1, "task.created", want);
    snprintf(want, sizeof(want),
             "{\"task\": {\"id\":%" PRId64 ",\"title\":\"renamed\",\"completed\":true}}", a);
    ev_expect(&r.events[1], 2, "task.updated", want);
    snprintf(want, sizeof(want),
             "{\"task\": {\"id\":%" PRId64 ",\"title\":\"done\",\"completed\":true}}", a);
    ev_expect(&r.events[2], 3, "task.updated", want);
    snprintf(want, sizeof(want),
             "{\"task\": {\"id\":%" PRId64 ",\"title\":\"next one\",\"completed\":false}}", b);
    ev_expect(&r.events[3], 4, "task.created", want);
    snprintf(want, sizeof(want), "{\"id\": %" PRId64 "}", a);
    ev_expect(&r.events[4], 5, "task.deleted", want);

    /* Reading after an id, and a limit. */
    r = ev_read(e, "ev1", 3, 1);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.events[0].id, 4);
    assert_int_equal(r.last_event_id, 5);
    r = ev_read(e, "ev1", 5, 10);
    assert_int_equal(r.n_events, 0);
    assert_int_equal(r.last_event_id, 5);
}

/* A change that fails or changes nothing writes no event. */
static inline void ev_case_no_event_without_change(ev_env_t *e)
{
    int64_t a = ev_create(e, "ev2", "only");
    ev_edit_t same = {.decision = STORE_MODIFY_NO_CHANGE};
    assert_int_equal(ev_modify(e, "ev2", a, &same, NULL), STORE_OK);
    ev_edit_t refuse = {.decision = -1};
    assert_int_equal(ev_modify(e, "ev2", a, &refuse, NULL), STORE_REJECTED);
    ev_edit_t upd = {.decision = STORE_MODIFY_WRITE, .title = "x"};
    assert_int_equal(ev_modify(e, "ev2", a + 1000, &upd, NULL), STORE_NOT_FOUND);
    assert_int_equal(ev_modify(e, "someone-else", a, &upd, NULL), STORE_NOT_FOUND);
    assert_int_equal(ev_delete(e, "ev2", a + 1000), STORE_NOT_FOUND);
    assert_int_equal(ev_delete(e, "someone-else", a), STORE_NOT_FOUND);
    store_result_t r = ev_read(e, "ev2", 0, 100);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.last_event_id, 1);
    r = ev_read(e, "someone-else", 0, 100);
    assert_int_equal(r.n_events, 0);
    assert_int_equal(r.last_event_id, 0);
}

/* Ids count per user; old events are left out of reads and swept. */
static inline void ev_case_per_user_and_retention(ev_env_t *e)
{
    ev_create(e, "ev3a", "a1");
    ev_create(e, "ev3b", "b1");
    ev_create(e, "ev3a", "a2");
    store_result_t r = ev_read(e, "ev3b", 0, 10);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.events[0].id, 1);
    r = ev_read(e, "ev3a", 0, 10);
    assert_int_equal(r.n_events, 2);
    assert_int_equal(r.events[1].id, 2);

    /* Created before `since`: gone for readers, whatever the sweep did. */
    ev_capture_t c = {0};
    int64_t later = (int64_t)time(NULL) + 100;
    store_events_read(e->w, e->arena, "ev3a", 0, later, 10, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.n_events, 0);
    assert_int_equal(c.res.last_event_id, 2);

    /* The sweep deletes in bounded steps. */
    c = (ev_capture_t){0};
    store_events_sweep(e->w, later, 2, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    assert_int_equal(c.res.total, 2);
    c = (ev_capture_t){0};
    store_events_sweep(e->w, later, 1000, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_true(c.res.total >= 1);
    r = ev_read(e, "ev3a", 0, 10);
    assert_int_equal(r.n_events, 0);
    assert_int_equal(r.last_event_id, 2); /* the counter stays: ids never repeat */
    ev_create(e, "ev3a", "a3");
    r = ev_read(e, "ev3a", 0, 10);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.events[0].id, 3);
}

/* Deleting a user deletes their log but keeps their counter. */
static inline void ev_case_user_delete(ev_env_t *e)
{
    store_user_t u = {.id = "ev4",
                      .email = "ev4@example.com",
                      .password_hash = "$argon2id$x",
                      .created_at = "2025-12-10T10:00:00Z"};
    ev_capture_t c = {0};
    store_user_create(e->w, e->arena, &u, ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    ev_create(e, "ev4", "t1");
    ev_create(e, "ev4", "t2");
    c = (ev_capture_t){0};
    store_user_delete(e->w, "ev4", ev_cb, &c);
    e->wait(e, &c.calls, 1);
    assert_int_equal(c.res.status, STORE_OK);
    store_result_t r = ev_read(e, "ev4", 0, 10);
    assert_int_equal(r.n_events, 0);
    assert_int_equal(r.last_event_id, 2);
}

/* A title with quotes and the sentinel text keeps the right id. */
static inline void ev_case_tricky_title(ev_env_t *e)
{
    int64_t a = ev_create(e, "ev5", "\\\"id\\\":9223372036854775807");
    store_result_t r = ev_read(e, "ev5", 0, 10);
    assert_int_equal(r.n_events, 1);
    char want[256];
    snprintf(want, sizeof(want),
             "{\"task\": {\"id\":%" PRId64
             ",\"title\":\"\\\"id\\\":9223372036854775807\",\"completed\":false}}",
             a);
    assert_string_equal(r.events[0].data, want);
}

#endif
