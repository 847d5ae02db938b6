/* Unit tests for the task route handlers (src/tasks/tasks_routes.c) against
 * a fake HTTP layer (the api_* functions) and a fake in-memory store that can
 * answer synchronously (like SQLite) or later (like PostgreSQL). They check
 * statuses, bodies, headers and the order of checks: 400, then 404, then 422. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fake_api.h"
#include "tasks/tasks_routes.c" /* NOLINT(bugprone-suspicious-include): reaches statics */

/* ---- the fake store ------------------------------------------------------------ */

enum { MAX_ROWS = 64, MAX_PENDING = 8 };

typedef struct pending {
    void (*run)(struct pending *p);
    store_cb cb;
    void *ctx;
    arena_t *arena;
    const char *user_id;
    int64_t id;
    store_task_t task;
    store_task_query_t query;
    store_modify_fn fn;
    void *fn_ctx;
} pending_t;

static struct {
    arena_t *arena; /* rows' strings */
    store_task_t rows[MAX_ROWS];
    bool used[MAX_ROWS];
    int64_t next_id;
    bool unavailable;
    bool deferred; /* answer later, like PostgreSQL */
    pending_t pending[MAX_PENDING];
    int n_pending;
    int calls;
    store_task_query_t last_query;
    const char *last_user;
} db;

static store_task_t *row_find(const char *user_id, int64_t id)
{
    for (int i = 0; i < MAX_ROWS; i++)
        if (db.used[i] && db.rows[i].id == id && strcmp(db.rows[i].user_id, user_id) == 0)
            return &db.rows[i];
    return NULL;
}

static store_task_t copy_task(arena_t *a, const store_task_t *t)
{
    store_task_t c = *t;
    c.user_id = arena_strdup(a, t->user_id);
    c.title = arena_strdup(a, t->title);
    c.description = arena_strdup(a, t->description);
    c.completed_at = arena_strdup(a, t->completed_at);
    c.tags = arena_strdup(a, t->tags);
    c.due_date = arena_strdup(a, t->due_date);
    c.due_time = arena_strdup(a, t->due_time);
    c.created_at = arena_strdup(a, t->created_at);
    c.updated_at = arena_strdup(a, t->updated_at);
    return c;
}

static int64_t row_insert(const store_task_t *t)
{
    for (int i = 0; i < MAX_ROWS; i++) {
        if (!db.used[i]) {
            db.used[i] = true;
            db.rows[i] = copy_task(db.arena, t);
            db.rows[i].id = ++db.next_id;
            return db.rows[i].id;
        }
    }
    fail_msg("fake store full");
    return 0;
}

static size_t row_count(void)
{
    size_t n = 0;
    for (int i = 0; i < MAX_ROWS; i++)
        n += db.used[i];
    return n;
}

static void finish(pending_t *p, store_result_t *res)
{
    p->cb(p->ctx, res);
}

static void run_list(pending_t *p)
{
    store_result_t res = {.status = STORE_OK};
    res.tasks = arena_calloc(p->arena, MAX_ROWS, sizeof(store_task_t));
    for (int i = 0; i < MAX_ROWS; i++)
        if (db.used[i] && strcmp(db.rows[i].user_id, p->user_id) == 0)
            res.tasks[res.n_tasks++] = copy_task(p->arena, &db.rows[i]);
    res.total = (int64_t)res.n_tasks + 1000; /* the count is the store's to make */
    finish(p, &res);
}

static void run_get(pending_t *p)
{
    store_result_t res = {.status = STORE_NOT_FOUND};
    store_task_t *t = row_find(p->user_id, p->id);
    if (t != NULL) {
        res.status = STORE_OK;
        res.task = arena_alloc(p->arena, sizeof(*res.task));
        *res.task = copy_task(p->arena, t);
    }
    finish(p, &res);
}

static void run_create(pending_t *p)
{
    int64_t id = row_insert(&p->task);
    p->id = id;
    p->user_id = p->task.user_id;
    run_get(p);
}

static void run_modify(pending_t *p)
{
    store_result_t res = {.status = STORE_NOT_FOUND};
    store_task_t *cur = row_find(p->user_id, p->id);
    if (cur == NULL) {
        finish(p, &res);
        return;
    }
    store_task_t next = *cur, *succ = NULL;
    int rc = p->fn(p->fn_ctx, p->arena, cur, &next, &succ);
    if (rc < 0) {
        res.status = STORE_REJECTED;
        finish(p, &res);
        return;
    }
    if (rc == STORE_MODIFY_WRITE) {
        next.id = cur->id;
        next.user_id = cur->user_id;
        next.created_at = cur->created_at;
        if (succ != NULL)
            next.successor_id = row_insert(succ);
        *cur = copy_task(db.arena, &next);
    }
    run_get(p);
}

static void run_delete(pending_t *p)
{
    store_result_t res = {.status = STORE_NOT_FOUND};
    store_task_t *t = row_find(p->user_id, p->id);
    if (t != NULL) {
        db.used[t - db.rows] = false;
        res.status = STORE_OK;
    }
    finish(p, &res);
}

/* Runs now, or queues for pump() in deferred mode. */
static void start(pending_t p)
{
    db.calls++;
    if (db.unavailable) {
        store_result_t res = {.status = STORE_UNAVAILABLE};
        p.cb(p.ctx, &res);
        return;
    }
    if (db.deferred) {
        assert_true(db.n_pending < MAX_PENDING);
        db.pending[db.n_pending++] = p;
        return;
    }
    p.run(&p);
}

static void pump(void)
{
    for (int i = 0; i < db.n_pending; i++)
        db.pending[i].run(&db.pending[i]);
    db.n_pending = 0;
}

void store_task_list(store_worker_t *w, arena_t *arena, const char *user_id,
                     const store_task_query_t *q, store_cb cb, void *ctx)
{
    (void)w;
    db.last_query = *q;
    db.last_user = user_id;
    start((pending_t){
        .run = run_list, .cb = cb, .ctx = ctx, .arena = arena, .user_id = user_id, .query = *q});
}

void store_task_get(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id, store_cb cb,
                    void *ctx)
{
    (void)w;
    start((pending_t){
        .run = run_get, .cb = cb, .ctx = ctx, .arena = arena, .user_id = user_id, .id = id});
}

void store_task_create(store_worker_t *w, arena_t *arena, const store_task_t *t,
                       const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    (void)w;
    (void)opts;
    start((pending_t){.run = run_create, .cb = cb, .ctx = ctx, .arena = arena, .task = *t});
}

void store_task_modify(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                       store_cb cb, void *ctx)
{
    (void)w;
    (void)opts;
    start((pending_t){.run = run_modify,
                      .cb = cb,
                      .ctx = ctx,
                      .arena = arena,
                      .user_id = user_id,
                      .id = id,
                      .fn = fn,
                      .fn_ctx = fn_ctx});
}

void store_task_delete(store_worker_t *w, const char *user_id, int64_t id,
                       const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    (void)w;
    (void)opts;
    start((pending_t){.run = run_delete, .cb = cb, .ctx = ctx, .user_id = user_id, .id = id});
}

/* ---- requests -------------------------------------------------------------------- */

static time_t fake_now = 1765361100; /* 2025-12-10T10:05:00Z, a Wednesday */

static time_t fake_clock(time_t *t)
{
    if (t != NULL)
        *t = fake_now;
    return fake_now;
}

static arena_t *req_arena;

static int setup(void **state)
{
    (void)state;
    memset(&db, 0, sizeof(db));
    db.arena = arena_new();
    memset(&ans, 0, sizeof(ans));
    query_kv = NULL;
    tasks_clock = fake_clock;
    fake_now = 1765361100;
    req_arena = arena_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(ans.body);
    arena_free(db.arena);
    arena_free(req_arena);
    return 0;
}

/* Calls handler as user for path id (NULL: no {id}) with a JSON body (NULL:
 * none); returns the status (pumping a deferred store first). */
static int call(void (*handler)(api_req_t *), const char *user, const char *id, const char *body)
{
    api_req_t *r = arena_calloc(req_arena, 1, sizeof(*r));
    r->arena = req_arena;
    r->principal.sub = user;
    r->param_names[0] = "user_id";
    r->param_values[0] = user;
    r->n_params = 1;
    if (id != NULL) {
        r->param_names[1] = "id";
        r->param_values[1] = id;
        r->n_params = 2;
    }
    if (body != NULL) {
        json_error_t jerr;
        r->body = json_loads(body, JSON_ALLOW_NUL, &jerr);
        if (r->body == NULL)
            fail_msg("bad test JSON %s", body);
    }
    fake_api_reset();
    handler(r);
    if (db.deferred) {
        assert_int_equal(ans.n_answers, 0); /* nothing before the store answers */
        pump();
    }
    json_decref(r->body);
    assert_int_equal(ans.n_answers, 1); /* exactly one answer */
    return ans.status;
}

static const char *str(const char *key)
{
    json_t *v = json_object_get(ans.body, key);
    if (v == NULL)
        fail_msg("no key %s", key);
    return json_is_null(v) ? NULL : json_string_value(v);
}

static json_int_t num(const char *key)
{
    json_t *v = json_object_get(ans.body, key);
    if (v == NULL)
        fail_msg("no key %s", key);
    return json_integer_value(v);
}

static const char *err_field(size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(ans.body, "errors"), i), "field"));
}

static const char *err_code(size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(ans.body, "errors"), i), "code"));
}

static size_t n_errors(void)
{
    return json_array_size(json_object_get(ans.body, "errors"));
}

/* Creates a task for alice; returns its id as text. */
static const char *make(const char *body)
{
    assert_int_equal(call(tasks_handle_create, "alice", NULL, body), 201);
    return arena_printf(req_arena, "%lld", (long long)num("id"));
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_create(void **state)
{
    (void)state;
    int st = call(tasks_handle_create, "alice", NULL,
                  "{\"title\":\"  Weekly team standup \",\"description\":\"Discuss\","
                  "\"priority\":\"high\",\"tags\":\" work, meeting ,Work,,weekly\","
                  "\"due_date\":\"2025-12-11\",\"due_time\":\"09:00\","
                  "\"recurrence_pattern\":\"weekly\",\"id\":99,\"completed\":true}");
    assert_int_equal(st, 201);
    assert_int_equal(num("id"), 1);
    assert_string_equal(header("Location"), "/api/alice/tasks/1");
    assert_string_equal(str("user_id"), "alice");
    assert_string_equal(str("title"), "Weekly team standup");
    assert_string_equal(str("tags"), "work,meeting,weekly");
    assert_string_equal(str("due_time"), "09:00:00");
    assert_int_equal(num("recurrence_day"), 4); /* 2025-12-11 is a Thursday */
    assert_true(json_is_false(json_object_get(ans.body, "completed")));
    assert_null(str("completed_at"));
    assert_string_equal(str("created_at"), "2025-12-10T10:05:00Z");
    assert_string_equal(str("updated_at"), "2025-12-10T10:05:00Z");
    assert_int_equal(json_object_size(ans.body), 14);

    /* Monthly with no due date takes today's day of month. */
    assert_int_equal(call(tasks_handle_create, "alice", NULL,
                          "{\"title\":\"m\",\"recurrence_pattern\":\"monthly\"}"),
                     201);
    assert_int_equal(num("recurrence_day"), 10);
    assert_string_equal(header("Location"), "/api/alice/tasks/2");
}

static void test_create_400_lists_every_problem(void **state)
{
    (void)state;
    int st = call(tasks_handle_create, "alice", NULL,
                  "{\"title\":\"x\",\"priority\":3,\"recurrence_day\":\"2\",\"foo\":1,"
                  "\"due_time\":\"09:00\"}");
    assert_int_equal(st, 400); /* 400 wins over the broken due_time rule */
    assert_string_equal(str("code"), "VALIDATION_ERROR");
    assert_string_equal(str("field"), "priority");
    assert_int_equal(n_errors(), 3);
    assert_string_equal(err_field(0), "priority");
    assert_string_equal(err_code(0), "wrong_type");
    assert_string_equal(err_field(1), "recurrence_day");
    assert_string_equal(err_field(2), "foo");
    assert_string_equal(err_code(2), "unknown_field");
    assert_int_equal(db.calls, 0);

    assert_int_equal(call(tasks_handle_create, "alice", NULL, "{}"), 400);
    assert_string_equal(str("detail"), "title is required");
}

static void test_create_422(void **state)
{
    (void)state;
    assert_int_equal(call(tasks_handle_create, "alice", NULL,
                          "{\"title\":\"x\",\"due_time\":\"09:00\",\"recurrence_day\":3}"),
                     422);
    assert_string_equal(str("code"), "RULE_VIOLATION");
    assert_string_equal(str("field"), "due_time");
    assert_string_equal(str("detail"), "due_time requires due_date");
    assert_int_equal(n_errors(), 2);
    assert_string_equal(err_code(0), "requires_field");
    assert_string_equal(err_field(1), "recurrence_day");
    assert_int_equal(call(tasks_handle_create, "alice", NULL,
                          "{\"title\":\"x\",\"recurrence_pattern\":\"weekly\","
                          "\"recurrence_day\":9}"),
                     422);
    assert_string_equal(err_code(0), "does_not_fit");
    assert_int_equal(db.calls, 0);
}

static void test_get_and_ownership(void **state)
{
    (void)state;
    const char *id = make("{\"title\":\"mine\"}");
    assert_int_equal(call(tasks_handle_get, "alice", id, NULL), 200);
    assert_string_equal(str("title"), "mine");
    assert_int_equal(call(tasks_handle_get, "bob", id, NULL), 404);
    assert_string_equal(str("code"), "NOT_FOUND");
    assert_string_equal(str("detail"), "Task not found");
    assert_null(json_object_get(ans.body, "errors"));
    assert_int_equal(call(tasks_handle_get, "alice", "9223372036854775807", NULL), 404);

    const char *bad[] = {"abc", "0", "-1", "9223372036854775808", "1.5", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(call(tasks_handle_get, "alice", bad[i], NULL), 400);
        assert_string_equal(str("field"), "path.id");
    }
    assert_int_equal(call(tasks_handle_delete, "alice", "x", NULL), 400);
    assert_string_equal(str("field"), "path.id");
}

static void test_order_400_404_422(void **state)
{
    (void)state;
    const char *id = make("{\"title\":\"t\"}");
    /* Path and body problems come together, path first. */
    assert_int_equal(call(tasks_handle_patch, "alice", "zero", "{\"title\":null,\"x\":1}"), 400);
    assert_int_equal(n_errors(), 3);
    assert_string_equal(err_field(0), "path.id");
    assert_string_equal(err_field(1), "title");
    assert_string_equal(err_field(2), "x");
    /* A bad body on a missing task is 400, not 404. */
    assert_int_equal(call(tasks_handle_patch, "alice", "77", "{\"priority\":1}"), 400);
    assert_int_equal(call(tasks_handle_replace, "alice", "77", "{}"), 400);
    assert_int_equal(call(tasks_handle_complete, "alice", "77", "{\"completed\":1}"), 400);
    /* A good body that breaks a rule on a missing task is 404, not 422. */
    assert_int_equal(call(tasks_handle_patch, "alice", "77", "{\"due_time\":\"09:00\"}"), 404);
    assert_int_equal(call(tasks_handle_patch, "bob", id, "{\"due_time\":\"09:00\"}"), 404);
    assert_int_equal(
        call(tasks_handle_replace, "alice", "77", "{\"title\":\"t\",\"due_time\":\"09:00\"}"), 404);
    assert_int_equal(call(tasks_handle_complete, "alice", "77", NULL), 404);
    /* On an existing task it is 422, field = the dependent field. */
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{\"due_time\":\"09:00\"}"), 422);
    assert_string_equal(str("field"), "due_time");
    assert_string_equal(str("code"), "RULE_VIOLATION");
    assert_int_equal(
        call(tasks_handle_replace, "alice", id, "{\"title\":\"t\",\"recurrence_day\":2}"), 422);
    assert_string_equal(str("field"), "recurrence_day");
    /* Nothing was written. */
    assert_int_equal(call(tasks_handle_get, "alice", id, NULL), 200);
    assert_null(str("due_time"));
    assert_int_equal(json_integer_value(json_object_get(ans.body, "recurrence_day")), 0);
}

static void test_put_and_patch(void **state)
{
    (void)state;
    const char *id = make("{\"title\":\"t\",\"description\":\"d\",\"priority\":\"low\","
                          "\"tags\":\"a\",\"due_date\":\"2025-12-11\",\"due_time\":\"08:00\"}");
    fake_now += 60;
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{\"priority\":\"high\"}"), 200);
    assert_string_equal(str("priority"), "high");
    assert_string_equal(str("description"), "d");
    assert_string_equal(str("due_time"), "08:00:00");
    assert_string_equal(str("updated_at"), "2025-12-10T10:06:00Z");
    assert_string_equal(str("created_at"), "2025-12-10T10:05:00Z");

    /* Changing nothing leaves updated_at alone. */
    fake_now += 60;
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{\"title\":\" t \",\"id\":5}"), 200);
    assert_string_equal(str("updated_at"), "2025-12-10T10:06:00Z");
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{}"), 200);
    assert_string_equal(str("updated_at"), "2025-12-10T10:06:00Z");

    /* PUT: omitted optional fields become null. */
    assert_int_equal(call(tasks_handle_replace, "alice", id, "{\"title\":\"Replaced\"}"), 200);
    assert_string_equal(str("title"), "Replaced");
    assert_null(str("description"));
    assert_null(str("priority"));
    assert_null(str("tags"));
    assert_null(str("due_date"));
    assert_null(str("due_time"));
    assert_string_equal(str("updated_at"), "2025-12-10T10:07:00Z");
    assert_int_equal(call(tasks_handle_replace, "alice", id, "{\"priority\":\"low\"}"), 400);
    assert_string_equal(str("field"), "title");
    assert_string_equal(err_code(0), "missing");
}

static void test_complete_and_recurrence(void **state)
{
    (void)state;
    const char *id = make("{\"title\":\"daily\",\"due_date\":\"2020-01-01\","
                          "\"recurrence_pattern\":\"daily\"}");
    fake_now += 3600;
    assert_int_equal(call(tasks_handle_complete, "alice", id, NULL), 200); /* no body: toggle */
    assert_true(json_is_true(json_object_get(ans.body, "completed")));
    assert_string_equal(str("completed_at"), "2025-12-10T11:05:00Z");
    assert_string_equal(str("updated_at"), "2025-12-10T11:05:00Z");
    assert_int_equal(row_count(), 2);
    assert_int_equal(call(tasks_handle_get, "alice", "2", NULL), 200);
    assert_string_equal(str("title"), "daily");
    assert_string_equal(str("due_date"), "2025-12-11"); /* after today, not after 2020 */
    assert_true(json_is_false(json_object_get(ans.body, "completed")));
    assert_string_equal(str("recurrence_pattern"), "daily");

    /* Setting the current value changes nothing. */
    fake_now += 60;
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"completed\":true}"), 200);
    assert_string_equal(str("completed_at"), "2025-12-10T11:05:00Z");
    assert_string_equal(str("updated_at"), "2025-12-10T11:05:00Z");
    /* {"completed": null} toggles; reopening clears completed_at. */
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"completed\":null}"), 200);
    assert_true(json_is_false(json_object_get(ans.body, "completed")));
    assert_null(str("completed_at"));
    assert_string_equal(str("updated_at"), "2025-12-10T11:06:00Z");
    /* {} toggles back; still only one successor. */
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{}"), 200);
    assert_true(json_is_true(json_object_get(ans.body, "completed")));
    assert_int_equal(row_count(), 2);
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"completed\":false}"), 200);
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"completed\":true}"), 200);
    assert_int_equal(row_count(), 2);

    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"completed\":\"yes\"}"), 400);
    assert_string_equal(err_code(0), "wrong_type");
    assert_int_equal(call(tasks_handle_complete, "alice", id, "{\"done\":true}"), 400);
    assert_string_equal(err_code(0), "unknown_field");
}

static void test_delete(void **state)
{
    (void)state;
    const char *id = make("{\"title\":\"t\"}");
    assert_int_equal(call(tasks_handle_delete, "bob", id, NULL), 404);
    assert_int_equal(call(tasks_handle_delete, "alice", id, NULL), 204);
    assert_null(ans.body);
    assert_int_equal(call(tasks_handle_delete, "alice", id, NULL), 404);
    assert_int_equal(call(tasks_handle_get, "alice", id, NULL), 404);
}

static void test_list(void **state)
{
    (void)state;
    make("{\"title\":\"one\"}");
    make("{\"title\":\"two\"}");
    assert_int_equal(call(tasks_handle_list, "alice", NULL, NULL), 200);
    assert_true(json_is_array(ans.body));
    assert_int_equal(json_array_size(ans.body), 2);
    assert_string_equal(header("X-Total-Count"), "1002");
    assert_string_equal(db.last_user, "alice");
    store_task_query_t *q = &db.last_query;
    assert_int_equal(q->completed, -1);
    assert_string_equal(q->today, "2025-12-10");
    assert_string_equal(q->week_start, "2025-12-08");
    assert_string_equal(q->week_end, "2025-12-14");
    assert_int_equal(q->sort_by, SORT_CREATED_AT);
    assert_true(q->descending);
    assert_int_equal(q->limit, 1000);
    assert_int_equal(q->offset, 0);

    const char *kv[] = {"today",           "2024-02-29", "completed",  "false", "tag",   " Work ",
                        "due_date_filter", "this_week",  "sort_order", "asc",   "limit", "5",
                        "bogus",           "ignored",    NULL};
    query_kv = kv;
    assert_int_equal(call(tasks_handle_list, "alice", NULL, NULL), 200);
    assert_string_equal(q->today, "2024-02-29");
    assert_string_equal(q->week_start, "2024-02-26");
    assert_string_equal(q->week_end, "2024-03-03");
    assert_int_equal(q->completed, 0);
    assert_string_equal(q->tag, "Work");
    assert_int_equal(q->due_filter, DUE_FILTER_THIS_WEEK);
    assert_false(q->descending);
    assert_int_equal(q->limit, 5);

    int calls = db.calls;
    const char *bad[] = {"limit", "0", "priority", "urgent", "today", "2025-13-01", NULL};
    query_kv = bad;
    assert_int_equal(call(tasks_handle_list, "alice", NULL, NULL), 400);
    assert_string_equal(str("field"), "query.priority");
    assert_int_equal(n_errors(), 3);
    assert_string_equal(err_field(1), "query.today");
    assert_string_equal(err_field(2), "query.limit");
    assert_int_equal(db.calls, calls);

    /* Another user's list holds none of alice's tasks. */
    query_kv = NULL;
    assert_int_equal(call(tasks_handle_list, "bob", NULL, NULL), 200);
    assert_int_equal(json_array_size(ans.body), 0);
}

static void test_store_unavailable(void **state)
{
    (void)state;
    db.unavailable = true;
    assert_int_equal(call(tasks_handle_create, "alice", NULL, "{\"title\":\"t\"}"), 503);
    assert_int_equal(call(tasks_handle_list, "alice", NULL, NULL), 503);
    assert_int_equal(call(tasks_handle_get, "alice", "1", NULL), 503);
    assert_int_equal(call(tasks_handle_patch, "alice", "1", "{}"), 503);
    assert_int_equal(call(tasks_handle_delete, "alice", "1", NULL), 503);
    assert_string_equal(str("code"), "SERVICE_UNAVAILABLE");
}

static void test_store_answering_later(void **state)
{
    (void)state;
    db.deferred = true; /* like PostgreSQL: every callback runs after the handler returned */
    const char *id = make("{\"title\":\"later\",\"recurrence_pattern\":\"weekly\"}");
    assert_int_equal(num("recurrence_day"), 3);
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{\"tags\":[\"x\",\"X\"]}"), 200);
    assert_string_equal(str("tags"), "x");
    assert_int_equal(call(tasks_handle_patch, "alice", id, "{\"recurrence_day\":8}"), 422);
    assert_string_equal(err_code(0), "does_not_fit");
    assert_int_equal(call(tasks_handle_complete, "alice", id, NULL), 200);
    assert_int_equal(row_count(), 2);
    assert_int_equal(call(tasks_handle_list, "alice", NULL, NULL), 200);
    assert_int_equal(json_array_size(ans.body), 2);
    assert_int_equal(call(tasks_handle_delete, "alice", id, NULL), 204);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create),
        T(test_create_400_lists_every_problem),
        T(test_create_422),
        T(test_get_and_ownership),
        T(test_order_400_404_422),
        T(test_put_and_patch),
        T(test_complete_and_recurrence),
        T(test_delete),
        T(test_list),
        T(test_store_unavailable),
        T(test_store_answering_later),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
