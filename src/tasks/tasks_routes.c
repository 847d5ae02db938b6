/* The task routes: read the request (path, query, body) with the field
 * tables, hand the store a valid record or a modify callback, and answer.
 * API.md's order holds: 400 (every field and path problem at once), then
 * 404 (from the store), then 422 (rules across fields, checked on the task
 * as it would be stored). Store calls are asynchronous in shape, so every
 * handler ends right after starting one and continues in its callback. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "http/etag.h"
#include "schema/date.h"
#include "tasks/task_cursor.h"
#include "tasks/task_model.h"
#include "tasks/task_rules.h"
#include "tasks/tasks.h"

/* The clock; unit tests that include this file may point it elsewhere. */
static time_t (*tasks_clock)(time_t *) = time;

static const char *const TASK_NOT_FOUND = "Task not found";

/* The request's one timestamp ("now", in r's arena) and its UTC date. */
static const char *stamp_take(api_req_t *r, date_t *today)
{
    char *now = arena_alloc(r->arena, DATE_STAMP_STR_SIZE);
    date_utc_now(tasks_clock(NULL), now, today);
    return now;
}

static const char *owner(const api_req_t *r)
{
    if (r->principal.sub != NULL)
        return r->principal.sub;
    return api_param(r, "user_id");
}

static const char *path_get(void *ctx, const char *name)
{
    return api_param(ctx, name);
}

static const char *query_get(void *ctx, const char *name)
{
    return api_query(ctx, name);
}

/* Decodes {id} into *id; problems go to err as "path.id". */
static size_t parse_id(api_req_t *r, int64_t *id, api_error_t *err)
{
    task_path_t p = {0};
    size_t n =
        schema_decode_params(&task_path_schema, path_get, r, &p, NULL, r->arena, "path.", err);
    *id = p.id;
    return n;
}

/* ---- conditional requests (API.md 7.1) ---------------------------------------- */

/* The task's strong ETag, "\"<id>-<version>\"", in r's arena: the same from
 * every server, and new with every change (the store bumps version). */
static const char *task_etag(api_req_t *r, const store_task_t *t)
{
    return arena_printf(r->arena, "\"%" PRId64 "-%" PRId64 "\"", t->id, t->version);
}

/* Reads the version from an opaque tag "<id>-<version>" of task id. */
static bool etag_version_of(const http_etag_t *tag, int64_t id, int64_t *version)
{
    int64_t part[2] = {0, 0};
    int k = 0;
    size_t digits = 0;
    for (size_t i = 0; i < tag->len; i++) {
        char c = tag->opaque[i];
        if (c == '-' && k == 0 && digits > 0) {
            k = 1;
            digits = 0;
        } else if (c >= '0' && c <= '9' && part[k] <= (INT64_MAX - (c - '0')) / 10) {
            part[k] = part[k] * 10 + (c - '0');
            digits++;
        } else {
            return false;
        }
    }
    if (k != 1 || digits == 0 || part[0] != id)
        return false;
    *version = part[1];
    return true;
}

/* The If-Match precondition on task id as plain data for the store (in r's
 * arena), or NULL when there is none ("*" asks only that the task exists,
 * which every write checks anyway). A malformed value matches nothing. */
static store_write_opts_t *if_match_opts(api_req_t *r, int64_t id)
{
    const char *v = api_header(r, "if-match");
    if (v == NULL)
        return NULL;
    size_t len = strlen(v), n = 0, max = len / 2 + 1; /* a tag takes 2 bytes at least */
    http_etag_t *tags = arena_alloc(r->arena, max * sizeof(*tags));
    http_etag_list_kind_t kind = http_etag_list_parse(v, len, tags, max, &n);
    if (kind == HTTP_ETAGS_ANY)
        return NULL;
    store_write_opts_t *opts = arena_calloc(r->arena, 1, sizeof(*opts));
    int64_t *versions = arena_alloc(r->arena, (n + 1) * sizeof(*versions));
    opts->check_version = true;
    for (size_t i = 0; i < n && kind == HTTP_ETAGS_LIST; i++)
        if (!tags[i].weak && etag_version_of(&tags[i], id, &versions[opts->n_versions]))
            opts->n_versions++; /* strong comparison: a weak tag never matches */
    opts->versions = versions;
    return opts;
}

/* True when a GET's If-None-Match matches etag (weak comparison). */
static bool none_match(api_req_t *r, const char *etag)
{
    const char *v = api_header(r, "if-none-match");
    return v != NULL && http_etag_match(v, strlen(v), etag, true);
}

static void respond_task(api_req_t *r, int status, const store_task_t *t)
{
    api_add_header(r, "ETag", task_etag(r, t));
    buf_t b = BUF_INIT;
    task_encode(t, &b);
    api_respond_json(r, status, b.data, b.len);
    buf_dispose(&b);
}

/* A store failure other than "not found" for this route. */
static void respond_failure(api_req_t *r, store_status_t status)
{
    if (status == STORE_NOT_FOUND)
        api_respond_err(r, API_ERR_NOT_FOUND, TASK_NOT_FOUND);
    else
        api_respond_store_error(r, status);
}

/* ---- list -------------------------------------------------------------------- */

/* s percent-encoded for a query string or path segment (unreserved
 * characters kept). */
static void append_encoded(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        }
    }
}

static void append_param(buf_t *b, const char *name, const char *value)
{
    buf_append(b, "&", 1);
    buf_append(b, name, strlen(name));
    buf_append(b, "=", 1);
    append_encoded(b, value);
}

static const char *const priority_names[] = {NULL, "low", "medium", "high"};
static const char *const due_names[] = {NULL, "overdue", "today", "this_week", "upcoming", "none"};
static const char *const sort_names[] = {"created_at", "updated_at", "due_date",
                                         "priority",   "title",      "completed"};

/* The Link header to the page after last: the same filters, sort and
 * limit, and the cursor (offset is replaced by it). */
static void add_next_link(api_req_t *r, const store_task_query_t *q, const store_task_t *last)
{
    const char *cursor = task_cursor_encode(r->arena, owner(r), q, last);
    if (cursor == NULL)
        return;
    buf_t b = BUF_INIT;
    buf_append(&b, "</api/", 6);
    append_encoded(&b, owner(r));
    buf_append(&b, "/tasks?sort_by=", 15);
    buf_append(&b, sort_names[q->sort_by], strlen(sort_names[q->sort_by]));
    append_param(&b, "sort_order", q->descending ? "desc" : "asc");
    if (q->completed >= 0)
        append_param(&b, "completed", q->completed ? "true" : "false");
    if (q->priority != PRIORITY_NONE)
        append_param(&b, "priority", priority_names[q->priority]);
    if (q->tag != NULL && *q->tag)
        append_param(&b, "tag", q->tag);
    if (q->search != NULL && *q->search)
        append_param(&b, "search", q->search);
    if (q->due_filter != DUE_FILTER_ANY)
        append_param(&b, "due_date_filter", due_names[q->due_filter]);
    if (task_query_dated(q))
        append_param(&b, "today", q->today);
    char limit[24];
    snprintf(limit, sizeof(limit), "%" PRId64, q->limit);
    append_param(&b, "limit", limit);
    append_param(&b, "cursor", cursor);
    buf_append(&b, ">; rel=\"next\"", 13);
    buf_append(&b, "", 1);
    api_add_header(r, "Link", arena_strdup(r->arena, b.data));
    buf_dispose(&b);
}

typedef struct list_call {
    api_req_t *r;
    const store_task_query_t *q;
} list_call_t;

static void on_listed(void *ctx, const store_result_t *res)
{
    list_call_t *call = ctx;
    api_req_t *r = call->r;
    if (res->status != STORE_OK) {
        api_respond_store_error(r, res->status);
        return;
    }
    char total[24];
    snprintf(total, sizeof(total), "%" PRId64, res->total);
    api_add_header(r, "X-Total-Count", total);
    if (res->more && res->n_tasks > 0 && (int64_t)res->n_tasks == call->q->limit)
        add_next_link(r, call->q, &res->tasks[res->n_tasks - 1]);
    buf_t b = BUF_INIT;
    task_encode_list(res->tasks, res->n_tasks, &b);
    api_respond_json(r, 200, b.data, b.len);
    buf_dispose(&b);
}

/* Reads the cursor parameter into q->after; its pinned date becomes q's
 * today when the request gave none. Problems go to err as "query.cursor". */
static void read_cursor(api_req_t *r, store_task_query_t *q, api_error_t *err)
{
    if (q->cursor == NULL)
        return;
    if (api_query(r, "offset") != NULL) {
        api_error_add(err, r->arena, "query.cursor", FIELD_ISSUE_DOES_NOT_FIT,
                      "cursor and offset cannot be used together");
        return;
    }
    store_task_t *after = NULL;
    const char *pinned = NULL;
    if (task_cursor_decode(r->arena, q->cursor, &after, &pinned) != 0) {
        api_error_add(err, r->arena, "query.cursor", FIELD_ISSUE_INVALID_FORMAT,
                      "cursor is not one this server made");
        return;
    }
    if (q->today == NULL)
        q->today = pinned;
    q->after = after;
}

void tasks_handle_list(api_req_t *r)
{
    store_task_query_t *q = arena_calloc(r->arena, 1, sizeof(*q));
    q->completed = -1;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    schema_decode_params(&task_query_schema, query_get, r, q, NULL, r->arena, "query.", &err);
    if (err.n_issues == 0)
        read_cursor(r, q, &err);
    if (err.n_issues != 0) {
        api_respond_error(r, &err);
        return;
    }
    date_t today;
    if (q->today == NULL || date_parse(q->today, strlen(q->today), &today) != 0) {
        char *s = arena_alloc(r->arena, DATE_STR_SIZE);
        date_utc_now(tasks_clock(NULL), NULL, &today);
        date_format(today, s);
        q->today = s;
    }
    date_t monday = date_week_start(today);
    char *start = arena_alloc(r->arena, DATE_STR_SIZE);
    char *end = arena_alloc(r->arena, DATE_STR_SIZE);
    date_format(monday, start);
    date_format(date_add_days(monday, 6), end);
    q->week_start = start;
    q->week_end = end;
    if (q->after != NULL && !task_cursor_fits(q->cursor, owner(r), q)) {
        api_error_add(&err, r->arena, "query.cursor", FIELD_ISSUE_DOES_NOT_FIT,
                      "cursor was made for other filters or another sort");
        api_respond_error(r, &err);
        return;
    }
    list_call_t *call = arena_alloc(r->arena, sizeof(*call));
    call->r = r;
    call->q = q;
    store_task_list(r->store, r->arena, owner(r), q, on_listed, call);
}

/* ---- create ------------------------------------------------------------------ */

static void on_created(void *ctx, const store_result_t *res)
{
    api_req_t *r = ctx;
    if (res->status != STORE_OK || res->task == NULL) {
        api_respond_store_error(r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    char *location = arena_printf(r->arena, "/api/%s/tasks/%" PRId64, owner(r), res->task->id);
    api_add_header(r, "Location", location);
    respond_task(r, 201, res->task);
}

void tasks_handle_create(api_req_t *r)
{
    store_task_t *t = arena_calloc(r->arena, 1, sizeof(*t));
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    if (schema_decode_json(&task_create_schema, r->body, t, NULL, r->arena, &err) != 0) {
        api_respond_error(r, &err);
        return;
    }
    date_t today;
    const char *now = stamp_take(r, &today);
    api_error_init(&err, API_ERR_RULE_VIOLATION);
    if (task_prepare_create(t, owner(r), now, today, r->arena, &err) != 0) {
        api_respond_error(r, &err);
        return;
    }
    store_task_create(r->store, r->arena, t, NULL, on_created, r);
}

/* ---- get, delete ------------------------------------------------------------- */

static void on_got(void *ctx, const store_result_t *res)
{
    api_req_t *r = ctx;
    if (res->status != STORE_OK || res->task == NULL) {
        respond_failure(r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    const char *etag = task_etag(r, res->task);
    if (none_match(r, etag)) {
        api_add_header(r, "ETag", etag);
        api_respond_empty(r, 304);
        return;
    }
    respond_task(r, 200, res->task);
}

void tasks_handle_get(api_req_t *r)
{
    int64_t id;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    if (parse_id(r, &id, &err) != 0) {
        api_respond_error(r, &err);
        return;
    }
    store_task_get(r->store, r->arena, owner(r), id, on_got, r);
}

static void on_deleted(void *ctx, const store_result_t *res)
{
    api_req_t *r = ctx;
    if (res->status != STORE_OK) {
        respond_failure(r, res->status);
        return;
    }
    api_respond_empty(r, 204);
}

void tasks_handle_delete(api_req_t *r)
{
    int64_t id;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    if (parse_id(r, &id, &err) != 0) {
        api_respond_error(r, &err);
        return;
    }
    store_task_delete(r->store, owner(r), id, if_match_opts(r, id), on_deleted, r);
}

/* ---- replace, patch, complete ------------------------------------------------ */

static void on_modified(void *ctx, const store_result_t *res)
{
    task_change_t *c = ctx;
    api_req_t *r = c->user;
    if (res->status == STORE_REJECTED) {
        api_respond_error(r, &c->rule_error);
        return;
    }
    if (res->status != STORE_OK || res->task == NULL) {
        respond_failure(r, res->status != STORE_OK ? res->status : STORE_ERROR);
        return;
    }
    respond_task(r, 200, res->task);
}

/* Reads {id} and the body (both reported together), then starts the
 * modify. */
static void start_change(api_req_t *r, task_change_kind_t kind, const schema_t *body_schema)
{
    task_change_t *c = arena_calloc(r->arena, 1, sizeof(*c));
    c->kind = kind;
    c->user = r;
    c->completed = -1;
    int64_t id;
    api_error_t err;
    api_error_init(&err, API_ERR_VALIDATION_ERROR);
    parse_id(r, &id, &err);
    if (kind == TASK_CHANGE_COMPLETE) {
        task_complete_body_t body = {false};
        schema_decode_json(body_schema, r->body, &body, &c->seen, r->arena, &err);
        if ((c->seen.present & 1U) && !(c->seen.null & 1U))
            c->completed = body.completed;
    } else {
        schema_decode_json(body_schema, r->body, &c->body, &c->seen, r->arena, &err);
    }
    if (err.n_issues != 0) {
        api_respond_error(r, &err);
        return;
    }
    c->now = stamp_take(r, &c->today);
    store_task_modify(r->store, r->arena, owner(r), id, if_match_opts(r, id), task_change_apply, c,
                      on_modified, c);
}

void tasks_handle_replace(api_req_t *r)
{
    start_change(r, TASK_CHANGE_REPLACE, &task_create_schema);
}

void tasks_handle_patch(api_req_t *r)
{
    start_change(r, TASK_CHANGE_PATCH, &task_patch_schema);
}

void tasks_handle_complete(api_req_t *r)
{
    start_change(r, TASK_CHANGE_COMPLETE, &task_complete_schema);
}
