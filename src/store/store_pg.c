/* The PostgreSQL backend: the store operations as SQL over the worker's
 * connection pool (pg_conn.h), which runs libpq in pipeline mode on the
 * worker's event loop. Each operation copies its parameters, is sent when a
 * connection can take it, and calls its callback once, from the loop. The
 * list query is in store_pg_list.c.
 *
 * Every statement is prepared once per connection, on first use, with all
 * parameters declared as text and cast in SQL. Results come in binary (no
 * text conversion on the server, no dependence on DateStyle or TimeZone);
 * timestamps, dates and times are written out (pg_row_*) in the exact text
 * form the SQLite backend stores, so that both give byte-identical JSON.
 *
 * Changes: one INSERT or DELETE is one implicit transaction (its pipeline
 * sync commits it, and the operation only answers after that sync). A modify
 * is BEGIN + SELECT ... FOR UPDATE, the caller's function, then UPDATE (with
 * the successor's INSERT in the same statement) + COMMIT: the row lock makes
 * concurrent completions of one task produce one successor, and parent_id
 * UNIQUE backs that up. */
#include "store/store_pg.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/migrate.h"
#include "store/store_backend.h"

#define USER_COLUMNS "id, email, name, password_hash, created_at"

#define TASK_INSERT_COLUMNS                                                                        \
    "user_id, title, description, completed, completed_at, priority, tags, due_date, due_time, "   \
    "recurrence_pattern, recurrence_day, created_at, updated_at, successor_id, parent_id"

#define TASK_SET                                                                                   \
    "title = $2, description = $3, completed = $4::boolean, completed_at = $5::timestamptz, "      \
    "priority = $6::smallint, tags = $7, due_date = $8::date, due_time = $9::time, "               \
    "recurrence_pattern = $10, recurrence_day = $11::smallint, updated_at = $13::timestamptz, "    \
    "version = tasks.version + 1, "

/* The change log: the counter row of the user hands out the next id (its
 * lock, held to the commit, also makes a user's events commit in id order),
 * and pg_notify tells every listening server after the commit. */
#define EVENT_BUMP                                                                                 \
    "ON CONFLICT (user_id) DO UPDATE SET last_id = event_counters.last_id + 1 RETURNING last_id"
#define EVENT_NOW "floor(extract(epoch FROM now()))::bigint"

/* X(name, nparams, sql). Task parameters share one numbering (keep_task):
 * $1 user_id, $2 title, $3 description, $4 completed, $5 completed_at,
 * $6 priority, $7 tags, $8 due_date, $9 due_time, $10 recurrence_pattern,
 * $11 recurrence_day, $12 created_at, $13 updated_at, $14 successor_id;
 * then $15 parent_id (insert) or $16 id (update, get, delete); a successor
 * inserted by an update takes $17..$30 in the same order; a conditional
 * delete has the expected versions as an array in $17. */
#define FIXED_STATEMENTS(X)                                                                        \
    X(PING, 0, "SELECT 1")                                                                         \
    X(TASK_GET, 16,                                                                                \
      "SELECT " PG_TASK_COLUMNS " FROM tasks WHERE id = $16::bigint AND user_id = $1")             \
    X(TASK_LOCK, 16,                                                                               \
      "SELECT " PG_TASK_COLUMNS " FROM tasks WHERE id = $16::bigint AND user_id = $1 FOR UPDATE")  \
    X(TASK_INSERT, 15,                                                                             \
      "INSERT INTO tasks (" TASK_INSERT_COLUMNS ") VALUES ($1, $2, $3, $4::boolean, "              \
      "$5::timestamptz, $6::smallint, $7, $8::date, $9::time, $10, $11::smallint, "                \
      "$12::timestamptz, $13::timestamptz, $14::bigint, $15::bigint) RETURNING " PG_TASK_COLUMNS)  \
    X(TASK_UPDATE, 16,                                                                             \
      "UPDATE tasks SET " TASK_SET "successor_id = $14::bigint "                                   \
      "WHERE id = $16::bigint AND user_id = $1 RETURNING " PG_TASK_COLUMNS)                        \
    X(TASK_UPDATE_NEXT, 30,                                                                        \
      "WITH s AS (INSERT INTO tasks (" TASK_INSERT_COLUMNS ") VALUES ($17, $18, $19, "             \
      "$20::boolean, $21::timestamptz, $22::smallint, $23, $24::date, $25::time, $26, "            \
      "$27::smallint, $28::timestamptz, $29::timestamptz, $30::bigint, $16::bigint) RETURNING "    \
      "id) "                                                                                       \
      "UPDATE tasks SET " TASK_SET "successor_id = (SELECT id FROM s) "                            \
      "WHERE id = $16::bigint AND user_id = $1 RETURNING " PG_TASK_COLUMNS)                        \
    X(TASK_DELETE, 16,                                                                             \
      "WITH d AS (DELETE FROM tasks WHERE id = $16::bigint AND user_id = $1 RETURNING id), "       \
      "c AS (INSERT INTO event_counters (user_id, last_id) SELECT $1, 1 FROM d " EVENT_BUMP "), "  \
      "e AS (INSERT INTO task_events (user_id, id, type, data, created_at) SELECT $1, c.last_id, " \
      "'task.deleted', '{\"id\": ' || d.id || '}', " EVENT_NOW " FROM c, d RETURNING id) "         \
      "SELECT d.id, (SELECT pg_notify('" PG_EVENTS_CHANNEL "', $1 || ' ' || e.id) FROM e) FROM d") \
    X(TASK_DELETE_IF, 17,                                                                          \
      "WITH t AS (SELECT id, version FROM tasks WHERE id = $16::bigint AND user_id = $1 "          \
      "FOR UPDATE), d AS (DELETE FROM tasks WHERE id IN (SELECT id FROM t WHERE version = "        \
      "ANY($17::bigint[])) RETURNING id), "                                                        \
      "c AS (INSERT INTO event_counters (user_id, last_id) SELECT $1, 1 FROM d " EVENT_BUMP "), "  \
      "e AS (INSERT INTO task_events (user_id, id, type, data, created_at) SELECT $1, c.last_id, " \
      "'task.deleted', '{\"id\": ' || d.id || '}', " EVENT_NOW " FROM c, d RETURNING id) "         \
      "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM d), "                                \
      "(SELECT pg_notify('" PG_EVENTS_CHANNEL "', $1 || ' ' || e.id) FROM e)")                     \
    X(USER_INSERT, 5,                                                                              \
      "INSERT INTO users (id, email, name, password_hash, created_at) "                            \
      "VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING " USER_COLUMNS)                          \
    X(USER_BY_EMAIL, 1, "SELECT " USER_COLUMNS " FROM users WHERE email = $1")                     \
    X(USER_BY_ID, 1, "SELECT " USER_COLUMNS " FROM users WHERE id = $1")                           \
    X(USER_DELETE, 1, "DELETE FROM users WHERE id = $1 RETURNING id")                              \
    X(EVENT_APPEND, PG_EV_NPARAMS,                                                                 \
      "WITH c AS (INSERT INTO event_counters (user_id, last_id) VALUES ($1, 1) " EVENT_BUMP "), "  \
      "e AS (INSERT INTO task_events (user_id, id, type, data, created_at) SELECT $1, last_id, "   \
      "$2, $3 || COALESCE($5, currval(pg_get_serial_sequence('tasks', 'id'))::text) || "           \
      "$4, " EVENT_NOW " FROM c RETURNING id) "                                                    \
      "SELECT pg_notify('" PG_EVENTS_CHANNEL "', $1 || ' ' || id) FROM e")                         \
    X(EVENTS_READ, 4,                                                                              \
      "SELECT e.id, e.type, e.data, c.last_id FROM event_counters c LEFT JOIN LATERAL "            \
      "(SELECT id, type, data FROM task_events WHERE user_id = $1 AND id > $2::bigint AND "        \
      "created_at >= $3::bigint ORDER BY id LIMIT $4::bigint) e ON true WHERE c.user_id = $1")     \
    X(EVENTS_SWEEP, 2,                                                                             \
      "DELETE FROM task_events WHERE ctid IN (SELECT ctid FROM task_events "                       \
      "WHERE created_at < $1::bigint LIMIT $2::bigint)")

typedef enum fixed_stmt {
#define X(name, n, sql) ST_##name,
    FIXED_STATEMENTS(X)
#undef X
        ST__COUNT
} fixed_stmt_t;

static const struct {
    int nparams;
    const char *sql;
} fixed[ST__COUNT] = {
#define X(name, n, sql) {n, sql},
    FIXED_STATEMENTS(X)
#undef X
};

_Static_assert((int)ST__COUNT <= (int)PG_COUNT_KEY, "fixed statement keys run into the list ones");

typedef struct pg_store {
    struct store base;
    pg_shared_t shared; /* between the workers' pools */
    char *conninfo;
    int pool_size;
    int timeout_ms;
    store_task_json_fn task_json; /* event data */
    pg_listen_t *listen;          /* the LISTEN connection, once started */
    char *listen_conninfo;
    store_event_fn on_event;
    void *on_event_ctx;
} pg_store_t;

typedef struct pg_worker {
    struct store_worker base;
    pg_pool_t *pool;
    pg_store_t *store;
    list_count_cache_t counts; /* the list's filtered counts (store_pg_list.c) */
} pg_worker_t;

list_count_cache_t *store__pg_worker_counts(store_worker_t *base)
{
    return &((pg_worker_t *)base)->counts;
}

/* ---- operations --------------------------------------------------------------------- */

static const char *statement_sql(unsigned key, char *buf)
{
    return key < ST__COUNT ? fixed[key].sql : store__pg_list_sql(key, buf);
}

static int statement_nparams(unsigned key)
{
    return key < ST__COUNT ? fixed[key].nparams : PG_LIST_NPARAMS;
}

pg_req_t *store__pg_req_new(store_worker_t *base, arena_t *arena, store_cb cb, void *ctx)
{
    pg_worker_t *w = (pg_worker_t *)base;
    pg_req_t *r = (pg_req_t *)pg_op_new(w->pool);
    r->arena = arena;
    r->cb = cb;
    r->ctx = ctx;
    r->task_json = w->store->task_json;
    r->n_events = 0;
    for (int i = 0; i < PG_MAX_PARAMS; i++)
        r->p[i] = -1;
    return r;
}

void store__pg_keep(pg_req_t *r, int n, const char *s)
{
    assert(n >= 1 && n <= PG_MAX_PARAMS);
    r->p[n - 1] = pg_op_keep(&r->op, s);
}

void store__pg_keep_int(pg_req_t *r, int n, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    store__pg_keep(r, n, buf);
}

static void keep_int_or_null(pg_req_t *r, int n, int64_t v)
{
    if (v != 0)
        store__pg_keep_int(r, n, v);
    else
        r->p[n - 1] = -1;
}

static const char *const recurrence_names[] = {NULL, "daily", "weekly", "monthly"};

/* Task values as parameters base+1..base+14 (user_id ... successor_id). */
static void keep_task(pg_req_t *r, int base, const store_task_t *t)
{
    store__pg_keep(r, base + 1, t->user_id);
    store__pg_keep(r, base + 2, t->title);
    store__pg_keep(r, base + 3, t->description);
    store__pg_keep(r, base + 4, t->completed ? "true" : "false");
    store__pg_keep(r, base + 5, t->completed_at);
    keep_int_or_null(r, base + 6, (int64_t)t->priority);
    store__pg_keep(r, base + 7, t->tags);
    store__pg_keep(r, base + 8, t->due_date);
    store__pg_keep(r, base + 9, t->due_time);
    store__pg_keep(r, base + 10,
                   t->recurrence_pattern >= RECURRENCE_DAILY &&
                           t->recurrence_pattern <= RECURRENCE_MONTHLY
                       ? recurrence_names[t->recurrence_pattern]
                       : NULL);
    keep_int_or_null(r, base + 11, t->recurrence_day);
    store__pg_keep(r, base + 12, t->created_at);
    store__pg_keep(r, base + 13, t->updated_at);
    keep_int_or_null(r, base + 14, t->successor_id);
}

/* ---- the change log ------------------------------------------------------------ */

static int send_with(pg_req_t *r, pg_conn_t *c, unsigned key, const long *h);

/* Queues an event for the write r is about to send: data is before, then the
 * task id (id_text, or NULL: the id the write's INSERT just took), then
 * after. */
static void keep_event(pg_req_t *r, const char *user_id, const char *type, const char *before,
                       const char *id_text, const char *after)
{
    assert(r->n_events < PG_MAX_EVENTS);
    long *h = r->ev[r->n_events++];
    h[0] = pg_op_keep(&r->op, user_id);
    h[1] = pg_op_keep(&r->op, type);
    h[2] = pg_op_keep(&r->op, before);
    h[3] = pg_op_keep(&r->op, after);
    h[4] = pg_op_keep(&r->op, id_text);
}

/* The event of task t (its id known): created or updated. */
static void keep_task_event(pg_req_t *r, const char *type, const store_task_t *t)
{
    arena_t *a = arena_new();
    keep_event(r, t->user_id, type, store__event_task_data(a, r->task_json, t), "", "");
    arena_free(a);
}

/* The task.created event of t, inserted by the same batch. */
static void keep_new_task_event(pg_req_t *r, const store_task_t *t)
{
    const char *before, *after;
    arena_t *a = arena_new();
    store__event_task_data_split(a, r->task_json, t, &before, &after);
    keep_event(r, t->user_id, store__event_created, before, NULL, after);
    arena_free(a);
}

/* Sends the task statement r->key, then the queued events. */
static int send_write(pg_req_t *r, pg_conn_t *c)
{
    if (store__pg_send_statement(r, c, r->key) < 0)
        return -1;
    r->task_ix = r->ix;
    for (int i = 0; i < r->n_events; i++)
        if (send_with(r, c, ST_EVENT_APPEND, r->ev[i]) < 0)
            return -1;
    return 0;
}

/* Sends statement key with the kept parameters, preparing it first if this
 * connection has not yet. */
/* Sends statement key with the parameters kept under handles h. */
static int send_with(pg_req_t *r, pg_conn_t *c, unsigned key, const long *h)
{
    const char *values[PG_MAX_PARAMS];
    int n = statement_nparams(key);
    for (int i = 0; i < n; i++)
        values[i] = pg_op_str(&r->op, h[i]);
    if (pg_conn_need_prepare(c, key)) {
        char buf[PG_SQL_BUF];
        if (pg_conn_send_prepare(c, &r->op, key, statement_sql(key, buf), n) < 0)
            return -1;
    }
    r->ix = r->op.n_cmds;
    return pg_conn_send_prepared(c, &r->op, key, n, values);
}

int store__pg_send_statement(pg_req_t *r, pg_conn_t *c, unsigned key)
{
    return send_with(r, c, key, r->p);
}

static int send_one(pg_op_t *op, pg_conn_t *c)
{
    return send_write((pg_req_t *)op, c);
}

/* The result of the last statement sent, when the batch went well. */
const PGresult *store__pg_result_of(const pg_req_t *r, ExecStatusType want)
{
    const PGresult *res = r->op.res[r->ix];
    if (res == NULL || PQresultStatus(res) != want) {
        LOG_ERROR("postgresql: unexpected result (%s)",
                  res ? PQresStatus(PQresultStatus(res)) : "none");
        return NULL;
    }
    return res;
}

/* Answers the caller and frees r. res lives in the caller's arena. */
void store__pg_finish(pg_req_t *r, store_result_t *res)
{
    store_cb cb = r->cb;
    void *ctx = r->ctx;
    pg_op_free(&r->op);
    cb(ctx, res);
}

void store__pg_finish_status(pg_req_t *r, int status)
{
    store_result_t res = {.status = (store_status_t)status};
    store__pg_finish(r, &res);
}

/* ---- reading rows ------------------------------------------------------------------ */

static task_recurrence_t recurrence_of(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return RECURRENCE_NONE;
    const char *v = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    for (int i = RECURRENCE_DAILY; i <= RECURRENCE_MONTHLY; i++)
        if (strlen(recurrence_names[i]) == n && memcmp(v, recurrence_names[i], n) == 0)
            return (task_recurrence_t)i;
    return RECURRENCE_NONE; /* the CHECK constraint makes this unreachable */
}

/* Reads row of res (PG_TASK_COLUMNS) into t; owner, when set, is shared.
 * Returns false (logged) if a value is not what the schema says. */
bool store__pg_read_task(const PGresult *res, int row, arena_t *arena, const char *owner,
                         store_task_t *t)
{
    pg_row_t r = {.res = res, .row = row, .arena = arena};
    t->id = pg_row_int(&r, 0);
    t->user_id = owner != NULL ? owner : pg_row_text(&r, 1);
    t->title = pg_row_text(&r, 2);
    t->description = pg_row_text(&r, 3);
    t->completed = pg_row_bool(&r, 4);
    t->completed_at = pg_row_timestamp(&r, 5);
    t->priority = (task_priority_t)pg_row_int(&r, 6);
    t->tags = pg_row_text(&r, 7);
    t->due_date = pg_row_date(&r, 8);
    t->due_time = pg_row_time(&r, 9);
    t->recurrence_pattern = recurrence_of(res, row, 10);
    t->recurrence_day = (int)pg_row_int(&r, 11);
    t->created_at = pg_row_timestamp(&r, 12);
    t->updated_at = pg_row_timestamp(&r, 13);
    t->successor_id = pg_row_int(&r, 14);
    t->version = pg_row_int(&r, 15);
    if (r.bad || PQnfields(res) != 16)
        LOG_ERROR("postgresql: a task row does not have the expected columns");
    return !r.bad && PQnfields(res) == 16;
}

static bool read_user(const PGresult *res, arena_t *arena, store_user_t *u)
{
    pg_row_t r = {.res = res, .row = 0, .arena = arena};
    u->id = pg_row_text(&r, 0);
    u->email = pg_row_text(&r, 1);
    u->name = pg_row_text(&r, 2);
    u->password_hash = pg_row_text(&r, 3);
    u->created_at = pg_row_timestamp(&r, 4);
    if (r.bad || PQnfields(res) != 5)
        LOG_ERROR("postgresql: a user row does not have the expected columns");
    return !r.bad && PQnfields(res) == 5;
}

/* ---- done functions ---------------------------------------------------------------- */

static void done_ping(pg_op_t *op)
{
    store__pg_finish_status((pg_req_t *)op, op->status == STORE_OK ? STORE_OK : STORE_UNAVAILABLE);
}

/* The result of the task statement of a write (or of the only statement). */
static const PGresult *task_result(const pg_req_t *r)
{
    const PGresult *res = r->op.res[r->task_ix];
    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        LOG_ERROR("postgresql: unexpected result (%s)",
                  res ? PQresStatus(PQresultStatus(res)) : "none");
        return NULL;
    }
    return res;
}

/* The status of an operation that reads one row or none: STORE_OK with
 * *res set when a row came, STORE_NOT_FOUND when none, else the failure. */
static store_status_t one_row(pg_req_t *r, int status, const PGresult **res)
{
    if (status != STORE_OK)
        return (store_status_t)status;
    *res = task_result(r);
    if (*res == NULL)
        return STORE_ERROR;
    return PQntuples(*res) == 0 ? STORE_NOT_FOUND : STORE_OK;
}

/* get, create: one task row, or none. */
static void done_task(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    const PGresult *res = NULL;
    store_result_t out = {.status = one_row(r, op->status, &res)};
    if (out.status == STORE_OK) {
        out.task = arena_calloc(r->arena, 1, sizeof(*out.task));
        if (!store__pg_read_task(res, 0, r->arena, NULL, out.task))
            out.status = STORE_ERROR;
    }
    store__pg_finish(r, &out);
}

/* deletes: STORE_OK when a row went. */
static void done_delete(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    int status = op->status;
    if (status == STORE_OK) {
        const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
        status = res == NULL ? STORE_ERROR : PQntuples(res) > 0 ? STORE_OK : STORE_NOT_FOUND;
    }
    store__pg_finish_status(r, status);
}

static void done_user(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    const PGresult *res = NULL;
    store_result_t out = {.status = one_row(r, op->status, &res)};
    if (out.status == STORE_OK) {
        out.user = arena_calloc(r->arena, 1, sizeof(*out.user));
        if (!read_user(res, r->arena, out.user))
            out.status = STORE_ERROR;
    }
    store__pg_finish(r, &out);
}

/* ---- modify ----------------------------------------------------------------------- */

static void done_modify_write(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    store_result_t out = {.status = (store_status_t)op->status};
    if (out.status == STORE_CONFLICT) {
        LOG_ERROR("postgresql: task modify: the task already has a successor");
        out.status = STORE_ERROR;
    } else if (out.status == STORE_OK) {
        const PGresult *res = task_result(r);
        if (res == NULL || PQntuples(res) != 1) {
            out.status = STORE_ERROR;
        } else {
            out.task = arena_calloc(r->arena, 1, sizeof(*out.task));
            if (!store__pg_read_task(res, 0, r->arena, NULL, out.task))
                out.status = STORE_ERROR;
        }
    }
    store__pg_finish(r, &out);
}

static int send_modify_write(pg_op_t *op, pg_conn_t *c)
{
    if (send_write((pg_req_t *)op, c) < 0)
        return -1;
    return pg_conn_send_sql(c, op, "COMMIT");
}

/* Ends a modify without writing: the ROLLBACK goes out in the background. */
static void modify_end(pg_req_t *r, int status, store_task_t *task)
{
    pg_op_rollback(&r->op);
    store_result_t out = {.status = (store_status_t)status, .task = task};
    store__pg_finish(r, &out);
}

static void done_modify_lock(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    if (op->status != STORE_OK) {
        modify_end(r, op->status == STORE_CONFLICT ? STORE_ERROR : op->status, NULL);
        return;
    }
    const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
    if (res == NULL || PQntuples(res) == 0) {
        modify_end(r, res == NULL ? STORE_ERROR : STORE_NOT_FOUND, NULL);
        return;
    }
    arena_t *arena = r->arena;
    store_task_t *cur = arena_calloc(arena, 1, sizeof(*cur));
    if (!store__pg_read_task(res, 0, arena, NULL, cur)) {
        modify_end(r, STORE_ERROR, NULL);
        return;
    }
    if (!store__version_expected(r->opts, cur->version)) {
        modify_end(r, STORE_PRECONDITION_FAILED, NULL);
        return;
    }
    store_task_t *next = arena_alloc(arena, sizeof(*next));
    *next = *cur;
    store_task_t *successor = NULL;
    int decision = r->fn(r->fn_ctx, arena, cur, next, &successor);
    if (decision < 0) {
        modify_end(r, STORE_REJECTED, NULL);
        return;
    }
    if (decision == STORE_MODIFY_NO_CHANGE) {
        modify_end(r, STORE_OK, cur);
        return;
    }
    if (decision != STORE_MODIFY_WRITE) {
        LOG_ERROR("postgresql: task modify: the modify function returned %d", decision);
        modify_end(r, STORE_ERROR, NULL);
        return;
    }
    next->id = cur->id;
    next->user_id = cur->user_id;
    next->created_at = cur->created_at;
    for (int i = 0; i < PG_MAX_PARAMS; i++)
        r->p[i] = -1;
    keep_task(r, 0, next);
    store__pg_keep_int(r, 16, cur->id);
    r->key = ST_TASK_UPDATE;
    keep_task_event(r, store__event_updated, next);
    if (successor != NULL) {
        successor->user_id = cur->user_id; /* never anyone else's */
        successor->successor_id = 0;
        keep_task(r, 16, successor);
        r->key = ST_TASK_UPDATE_NEXT;
        keep_new_task_event(r, successor);
    }
    op->send = send_modify_write;
    op->done = done_modify_write;
    pg_op_continue(op, true);
}

static int send_modify_lock(pg_op_t *op, pg_conn_t *c)
{
    pg_req_t *r = (pg_req_t *)op;
    if (pg_conn_send_sql(c, op, "BEGIN") < 0)
        return -1;
    return store__pg_send_statement(r, c, ST_TASK_LOCK);
}

/* ---- reading and sweeping the log ---------------------------------------------- */

static void done_events_read(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    store_result_t out = {.status = (store_status_t)op->status};
    const PGresult *res = out.status == STORE_OK ? store__pg_result_of(r, PGRES_TUPLES_OK) : NULL;
    if (out.status == STORE_OK && res == NULL)
        out.status = STORE_ERROR;
    int n = res != NULL ? PQntuples(res) : 0;
    if (n > 0)
        out.events = arena_calloc(r->arena, (size_t)n, sizeof(store_event_t));
    for (int i = 0; i < n; i++) {
        pg_row_t row = {.res = res, .row = i, .arena = r->arena};
        out.last_event_id = pg_row_int(&row, 3);
        if (pg_row_null(&row, 0))
            continue; /* the counter without events */
        store_event_t *e = &out.events[out.n_events++];
        e->id = pg_row_int(&row, 0);
        e->type = pg_row_text(&row, 1);
        e->data = pg_row_text(&row, 2);
        if (row.bad)
            out.status = STORE_ERROR;
    }
    store__pg_finish(r, &out);
}

static void pg_events_read(store_worker_t *w, arena_t *arena, const char *user_id, int64_t after_id,
                           int64_t since, int limit, store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    store__pg_keep(r, 1, user_id);
    store__pg_keep_int(r, 2, after_id);
    store__pg_keep_int(r, 3, since);
    store__pg_keep_int(r, 4, limit);
    store__pg_start(r, ST_EVENTS_READ, done_events_read);
}

static void done_events_sweep(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    store_result_t out = {.status = (store_status_t)op->status};
    if (out.status == STORE_OK) {
        const PGresult *res = store__pg_result_of(r, PGRES_COMMAND_OK);
        if (res == NULL)
            out.status = STORE_ERROR;
        else
            out.total = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
    }
    store__pg_finish(r, &out);
}

static void pg_events_sweep(store_worker_t *w, int64_t before, int limit, store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, NULL, cb, ctx);
    store__pg_keep_int(r, 1, before);
    store__pg_keep_int(r, 2, limit);
    store__pg_start(r, ST_EVENTS_SWEEP, done_events_sweep);
}

static void pg_listen_start(store_t *base, store_loop_t *loop)
{
    pg_store_t *s = (pg_store_t *)base;
    if (s->listen == NULL && s->on_event != NULL)
        s->listen = pg_listen_new(loop, s->listen_conninfo, PG_EVENTS_CHANNEL, s->on_event,
                                  s->on_event_ctx);
}

static void pg_listen_stop(store_t *base)
{
    pg_store_t *s = (pg_store_t *)base;
    pg_listen_free(s->listen);
    s->listen = NULL;
}

/* ---- the vtable --------------------------------------------------------------------- */

void store__pg_start(pg_req_t *r, unsigned key, pg_op_done_fn done)
{
    r->key = key;
    r->op.send = send_one;
    r->op.done = done;
    pg_op_submit(&r->op);
}

static void pg_ping(store_worker_t *w, store_cb cb, void *ctx)
{
    store__pg_start(store__pg_req_new(w, NULL, cb, ctx), ST_PING, done_ping);
}

static void pg_task_get(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                        store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    store__pg_keep(r, 1, user_id);
    store__pg_keep_int(r, 16, id);
    store__pg_start(r, ST_TASK_GET, done_task);
}

static void pg_task_create(store_worker_t *w, arena_t *arena, const store_task_t *t,
                           const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    r->opts = opts;
    keep_task(r, 0, t);
    keep_new_task_event(r, t); /* same batch: one implicit transaction */
    store__pg_start(r, ST_TASK_INSERT, done_task);
}

static void pg_task_modify(store_worker_t *w, arena_t *arena, const char *user_id, int64_t id,
                           const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                           store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    r->opts = opts;
    r->fn = fn;
    r->fn_ctx = fn_ctx;
    store__pg_keep(r, 1, user_id);
    store__pg_keep_int(r, 16, id);
    r->op.flags = PG_OP_TXN;
    r->op.send = send_modify_lock;
    r->op.done = done_modify_lock;
    pg_op_submit(&r->op);
}

/* The versions of opts as a PostgreSQL array literal, "{3,4}". */
static void keep_versions(pg_req_t *r, int n, const store_write_opts_t *opts)
{
    char *s = xmalloc(3 + opts->n_versions * 21); /* braces, NUL, ",<int64>" each */
    size_t o = 0;
    s[o++] = '{';
    for (size_t i = 0; i < opts->n_versions; i++)
        o += (size_t)sprintf(s + o, "%s%" PRId64, i ? "," : "", opts->versions[i]);
    s[o++] = '}';
    s[o] = '\0';
    store__pg_keep(r, n, s);
    free(s);
}

/* conditional delete: (rows found, rows deleted). */
static void done_delete_if(pg_op_t *op)
{
    pg_req_t *r = (pg_req_t *)op;
    int status = op->status;
    if (status == STORE_OK) {
        const PGresult *res = store__pg_result_of(r, PGRES_TUPLES_OK);
        pg_row_t row = {.res = res, .row = 0};
        if (res == NULL || PQntuples(res) != 1) {
            status = STORE_ERROR;
        } else {
            int64_t found = pg_row_int(&row, 0), deleted = pg_row_int(&row, 1);
            status = row.bad       ? STORE_ERROR
                     : deleted > 0 ? STORE_OK
                     : found > 0   ? STORE_PRECONDITION_FAILED
                                   : STORE_NOT_FOUND;
        }
    }
    store__pg_finish_status(r, status);
}

static void pg_task_delete(store_worker_t *w, const char *user_id, int64_t id,
                           const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, NULL, cb, ctx);
    store__pg_keep(r, 1, user_id);
    store__pg_keep_int(r, 16, id);
    if (opts != NULL && opts->check_version) {
        keep_versions(r, 17, opts);
        store__pg_start(r, ST_TASK_DELETE_IF, done_delete_if);
        return;
    }
    store__pg_start(r, ST_TASK_DELETE, done_delete);
}

static void pg_user_create(store_worker_t *w, arena_t *arena, const store_user_t *u, store_cb cb,
                           void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    store__pg_keep(r, 1, u->id);
    store__pg_keep(r, 2, u->email);
    store__pg_keep(r, 3, u->name);
    store__pg_keep(r, 4, u->password_hash);
    store__pg_keep(r, 5, u->created_at);
    store__pg_start(r, ST_USER_INSERT, done_user);
}

static void pg_user_get_by_email(store_worker_t *w, arena_t *arena, const char *email, store_cb cb,
                                 void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    store__pg_keep(r, 1, email);
    store__pg_start(r, ST_USER_BY_EMAIL, done_user);
}

static void pg_user_get(store_worker_t *w, arena_t *arena, const char *id, store_cb cb, void *ctx)
{
    pg_req_t *r = store__pg_req_new(w, arena, cb, ctx);
    store__pg_keep(r, 1, id);
    store__pg_start(r, ST_USER_BY_ID, done_user);
}

static void pg_user_delete(store_worker_t *w, const char *id, store_cb cb, void *ctx)
{
    /* One DELETE: its trigger deletes the user's tasks in the same
     * (implicit) transaction. */
    pg_req_t *r = store__pg_req_new(w, NULL, cb, ctx);
    store__pg_keep(r, 1, id);
    store__pg_start(r, ST_USER_DELETE, done_delete);
}

static const store_vtable_t pg_vtable;

static int pg_worker_new(store_t *base, store_loop_t *loop, store_worker_t **out)
{
    pg_store_t *s = (pg_store_t *)base;
    pg_worker_t *w = xcalloc(1, sizeof(*w));
    w->base.vt = &pg_vtable;
    w->store = s;
    w->pool =
        pg_pool_new(loop, s->conninfo, &s->shared, s->pool_size, s->timeout_ms, sizeof(pg_req_t));
    *out = &w->base;
    return 0;
}

static void pg_worker_free(store_worker_t *base)
{
    pg_worker_t *w = (pg_worker_t *)base;
    pg_pool_free(w->pool);
    list_count_dispose(&w->counts);
    free(w);
}

static void pg_worker_stats(const store_worker_t *base, store_pool_stats_t *out)
{
    pg_pool_stats(((const pg_worker_t *)base)->pool, out);
}

static void pg_close(store_t *base)
{
    pg_store_t *s = (pg_store_t *)base;
    free(s->conninfo);
    free(s->listen_conninfo);
    free(s);
}

static const store_vtable_t pg_vtable = {
    .name = "postgresql",
    .close = pg_close,
    .worker_new = pg_worker_new,
    .worker_free = pg_worker_free,
    .worker_stats = pg_worker_stats,
    .ping = pg_ping,
    .task_list = store__pg_task_list,
    .task_get = pg_task_get,
    .task_create = pg_task_create,
    .task_modify = pg_task_modify,
    .task_delete = pg_task_delete,
    .user_create = pg_user_create,
    .user_get_by_email = pg_user_get_by_email,
    .user_get = pg_user_get,
    .user_delete = pg_user_delete,
    .listen_start = pg_listen_start,
    .listen_stop = pg_listen_stop,
    .events_read = pg_events_read,
    .events_sweep = pg_events_sweep,
};

/* ---- opening ------------------------------------------------------------------------ */

/* Applies pending migrations under the advisory lock, or checks there are
 * none. Returns a store_status_t. */
static int migrate_on_open(const char *url, bool apply, char *err, size_t errlen)
{
    migrate_driver_t d;
    if (migrate_pg_open(url, &d, err, errlen) < 0)
        return STORE_UNAVAILABLE;
    int status = STORE_OK;
    if (apply) {
        if (migrate_run(&d, migrations_pg, migrations_pg_count, MIGRATE_UP, 0, NULL, err, errlen) <
            0)
            status = STORE_ERROR;
    } else {
        int pending = 0;
        if (migrate_pending(&d, migrations_pg, migrations_pg_count, &pending, err, errlen) < 0) {
            status = STORE_ERROR;
        } else if (pending > 0) {
            snprintf(err, errlen,
                     "the database schema is out of date (%d migration%s pending): run "
                     "`todo-server migrate up` or set MIGRATE_ON_START=true",
                     pending, pending == 1 ? "" : "s");
            status = STORE_ERROR;
        }
    }
    migrate_pg_close(&d);
    return status;
}

int store__pg_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    char *conninfo = pg_conninfo_from_url(url);
    if (conninfo == NULL) {
        snprintf(err, errlen, "not a PostgreSQL URL");
        return STORE_ERROR;
    }
    const char *listen_url = opts != NULL && opts->listen_url != NULL ? opts->listen_url : url;
    char *listen_conninfo = pg_conninfo_from_url(listen_url);
    if (listen_conninfo == NULL) {
        snprintf(err, errlen, "DATABASE_LISTEN_URL is not a PostgreSQL URL");
        free(conninfo);
        return STORE_ERROR;
    }
    if (pg_check_conninfo(conninfo, err, errlen) < 0 ||
        pg_check_conninfo(listen_conninfo, err, errlen) < 0) {
        free(conninfo);
        free(listen_conninfo);
        return STORE_ERROR;
    }
    int status = migrate_on_open(url, opts != NULL && opts->migrate_on_start, err, errlen);
    if (status != STORE_OK) {
        free(conninfo);
        free(listen_conninfo);
        return status;
    }
    pg_store_t *s = xcalloc(1, sizeof(*s));
    s->base.vt = &pg_vtable;
    atomic_init(&s->shared.connects, 0);
    s->conninfo = conninfo;
    s->listen_conninfo = listen_conninfo;
    if (opts != NULL) {
        s->task_json = opts->task_json;
        s->on_event = opts->on_event;
        s->on_event_ctx = opts->on_event_ctx;
    }
    s->pool_size = opts != NULL && opts->pool_size > 0 ? opts->pool_size : 4;
    s->timeout_ms = opts != NULL && opts->query_timeout_ms > 0 ? opts->query_timeout_ms : 5000;
    char target[256];
    pg_describe_target(conninfo, target, sizeof(target));
    LOG_INFO("postgresql: %s, %d connections per worker", target, s->pool_size);
    *out = &s->base;
    return 0;
}
