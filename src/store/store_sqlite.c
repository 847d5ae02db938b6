/* The SQLite backend: one connection per worker, opened in WAL mode, with
 * its statements prepared once and reused.
 *
 * Reads run on the worker's own connection, in parallel with every other
 * worker (WAL), to the end before the call returns; the callback runs
 * before the call returns. A list reads its page and its count in one read
 * transaction.
 *
 * Writes are the write dispatch's (store_sqlite_writer.c). A worker on an
 * event loop hands each write to the store's one writer thread, which
 * commits the writes of every worker together, one savepoint per write;
 * the callback runs later, on the worker's loop, after the COMMIT that holds
 * the write. The write functions below (task_create, task_modify, ...) do
 * the database work of one write and neither begin nor commit: the dispatch
 * wraps each in its own savepoint and rolls it back alone when it returns
 * anything but STORE_OK.
 *
 * Direct mode: a worker without a loop (unit tests, the command line), and
 * every worker of an in-memory store, runs its write itself, as a
 * transaction of its own on its own connection, under the store's mutex,
 * and answers before the call returns. "sqlite://:memory:" is one
 * shared-cache in-memory database per store_t, kept alive by the store's own
 * connection; shared-cache connections lock whole tables and answer
 * SQLITE_LOCKED instead of waiting, so there every operation, read or
 * write, holds the store's mutex. A busy database past the timeout is
 * STORE_UNAVAILABLE. */
#include "store/store_sqlite.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_backend.h"

enum { PATH_BUF = 4096 };

/* X(name, sql): the statements every worker prepares once, on first use.
 * Task parameters share one numbering (bind_task): ?1 user_id, ?2 title,
 * ?3 description, ?4 completed, ?5 completed_at, ?6 priority, ?7 tags,
 * ?8 due_date, ?9 due_time, ?10 recurrence_pattern, ?11 recurrence_day,
 * ?12 created_at, ?13 updated_at, ?14 successor_id; then ?15 parent_id
 * (insert) or ?16 id (update). */
#define FIXED_STATEMENTS(X)                                                                        \
    X(BEGIN_READ, "BEGIN")                                                                         \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(PING, "SELECT 1")                                                                            \
    X(TASK_GET, "SELECT " SQLITE_TASK_COLUMNS " FROM tasks WHERE id = ?1 AND user_id = ?2")        \
    X(TASK_INSERT,                                                                                 \
      "INSERT INTO tasks (user_id, title, description, completed, completed_at, priority, tags, "  \
      "due_date, due_time, recurrence_pattern, recurrence_day, created_at, updated_at, "           \
      "successor_id, parent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "  \
      "?14, ?15)")                                                                                 \
    X(TASK_UPDATE,                                                                                 \
      "UPDATE tasks SET title = ?2, description = ?3, completed = ?4, completed_at = ?5, "         \
      "priority = ?6, tags = ?7, due_date = ?8, due_time = ?9, recurrence_pattern = ?10, "         \
      "recurrence_day = ?11, updated_at = ?13, successor_id = ?14, version = version + 1 "         \
      "WHERE id = ?16 AND user_id = ?1")                                                           \
    X(TASK_DELETE, "DELETE FROM tasks WHERE id = ?1 AND user_id = ?2")                             \
    X(USER_INSERT, "INSERT INTO users (id, email, name, password_hash, created_at) "               \
                   "VALUES (?1, ?2, ?3, ?4, ?5)")                                                  \
    X(USER_BY_EMAIL, "SELECT id, email, name, password_hash, created_at FROM users "               \
                     "WHERE email = ?1")                                                           \
    X(USER_BY_ID, "SELECT id, email, name, password_hash, created_at FROM users WHERE id = ?1")    \
    X(USER_DELETE, "DELETE FROM users WHERE id = ?1")                                              \
    X(EVENT_BUMP, "INSERT INTO event_counters (user_id, last_id) VALUES (?1, 1) "                  \
                  "ON CONFLICT (user_id) DO UPDATE SET last_id = last_id + 1 RETURNING last_id")   \
    X(EVENT_INSERT, "INSERT INTO task_events (user_id, id, type, data, created_at) "               \
                    "VALUES (?1, ?2, ?3, ?4, ?5)")                                                 \
    X(EVENT_LAST, "SELECT last_id FROM event_counters WHERE user_id = ?1")                         \
    X(EVENTS_READ, "SELECT id, type, data FROM task_events WHERE user_id = ?1 AND id > ?2 "        \
                   "AND created_at >= ?3 ORDER BY id LIMIT ?4")                                    \
    X(EVENTS_SWEEP, "DELETE FROM task_events WHERE rowid IN (SELECT rowid FROM task_events "       \
                    "WHERE created_at < ?1 LIMIT ?2)")

typedef enum fixed_stmt {
#define X(name, sql) ST_##name,
    FIXED_STATEMENTS(X)
#undef X
        ST__COUNT
} fixed_stmt_t;

static const char *const fixed_sql[ST__COUNT] = {
#define X(name, sql) sql,
    FIXED_STATEMENTS(X)
#undef X
};

typedef struct sqlite_store {
    struct store base;
    char *path;                   /* file name, or the shared in-memory URI */
    bool memory;                  /* sqlite://:memory: */
    sqlite3 *db;                  /* migrations; keeps an in-memory database alive */
    pthread_mutex_t lock;         /* serialises every operation (in-memory), or direct writes */
    sqlite_writer_t *writer;      /* file: started with the first worker on a loop */
    sqlite_commit_hook_t hook;    /* called after each commit of a write */
    store_task_json_fn task_json; /* event data */
    store_event_fn on_event;      /* told after a commit that wrote events */
    void *on_event_ctx;
} sqlite_store_t;

typedef struct sqlite_worker {
    struct store_worker base;
    sqlite_store_t *store;
    sqlite_conn_t conn;
    sqlite3_stmt *fixed[ST__COUNT];
    sqlite_inbox_t *inbox;  /* answers from the writer; NULL: direct mode */
    sqlite_tx_t tx;         /* direct mode's transaction statements */
    arena_t *scratch;       /* a delete's event data, reset by each delete */
    const char *event_user; /* events written by the running write: whose, */
    int64_t event_last;     /* and the newest id (0: none) */
} sqlite_worker_t;

static const store_vtable_t sqlite_vtable;

/* ---- statements and transactions --------------------------------------------- */

/* Takes the store's mutex for a direct write (write = true) or, in memory,
 * for any call. */
static void worker_lock(sqlite_worker_t *w, bool write)
{
    if (write || w->store->memory)
        pthread_mutex_lock(&w->store->lock);
}

static void worker_unlock(sqlite_worker_t *w, bool write)
{
    if (write || w->store->memory)
        pthread_mutex_unlock(&w->store->lock);
}

/* The prepared statement `which`, prepared on first use; NULL with *rc set
 * on failure. */
static sqlite3_stmt *fixed(sqlite_worker_t *w, fixed_stmt_t which, int *rc)
{
    if (w->fixed[which] == NULL) {
        *rc = sqlite3_prepare_v3(w->conn.db, fixed_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                 &w->fixed[which], NULL);
        if (*rc != SQLITE_OK)
            return NULL;
    }
    return w->fixed[which];
}

/* Ready st for its next use; bound text was SQLITE_STATIC, so drop it. */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows; returns SQLITE_OK or the error. */
static int exec_fixed(sqlite_worker_t *w, fixed_stmt_t which)
{
    int rc;
    sqlite3_stmt *st = fixed(w, which, &rc);
    if (st == NULL)
        return rc;
    rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Steps st, a statement that returns no rows, and readies it for its next
 * use: STORE_OK, or the failure logged as `what`. */
static store_status_t step_done(sqlite_worker_t *w, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? STORE_OK : store__sqlite_fail(w->conn.db, rc, what);
}

/* Steps st, a query for at most one row: STORE_OK with the row ready to read,
 * STORE_NOT_FOUND, or the failure logged as `what`. The caller reads the row,
 * then calls stmt_done. */
static store_status_t step_row(sqlite_worker_t *w, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    return rc == SQLITE_DONE ? STORE_NOT_FOUND : store__sqlite_fail(w->conn.db, rc, what);
}

/* Opens a transaction with `which` (ST_BEGIN or ST_BEGIN_READ). */
static store_status_t tx_begin(sqlite_worker_t *w, fixed_stmt_t which)
{
    int rc = exec_fixed(w, which);
    return rc == SQLITE_OK ? STORE_OK : store__sqlite_fail(w->conn.db, rc, "begin");
}

static void tx_rollback(sqlite_worker_t *w)
{
    w->event_last = 0; /* its events are gone with it */
    /* An error may already have rolled the transaction back. */
    if (!sqlite3_get_autocommit(w->conn.db)) {
        int rc = exec_fixed(w, ST_ROLLBACK);
        if (rc != SQLITE_OK)
            store__sqlite_fail(w->conn.db, rc, "rollback");
    }
}

/* Ends the open transaction: commits it when status is STORE_OK, else (or
 * when the commit fails) rolls it back. Returns the final status. */
static store_status_t tx_end(sqlite_worker_t *w, store_status_t status)
{
    if (status == STORE_OK) {
        int rc = exec_fixed(w, ST_COMMIT);
        if (rc != SQLITE_OK)
            status = store__sqlite_fail(w->conn.db, rc, "commit");
    }
    if (status != STORE_OK)
        tx_rollback(w);
    return status;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    /* A NULL pointer binds SQL NULL. The caller's strings outlive the step. */
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static void bind_task(sqlite3_stmt *st, const store_task_t *t)
{
    bind_text(st, 1, t->user_id);
    bind_text(st, 2, t->title);
    bind_text(st, 3, t->description);
    sqlite3_bind_int(st, 4, t->completed ? 1 : 0);
    bind_text(st, 5, t->completed_at);
    bind_int_or_null(st, 6, t->priority);
    bind_text(st, 7, t->tags);
    bind_text(st, 8, t->due_date);
    bind_text(st, 9, t->due_time);
    bind_text(st, 10, store__sqlite_recurrence_name(t->recurrence_pattern));
    bind_int_or_null(st, 11, t->recurrence_day);
    bind_text(st, 12, t->created_at);
    bind_text(st, 13, t->updated_at);
    bind_int_or_null(st, 14, t->successor_id);
}

/* A copy of t whose strings live in arena. */
static store_task_t *task_dup(arena_t *arena, const store_task_t *t)
{
    store_task_t *c = arena_alloc(arena, sizeof(*c));
    *c = *t;
    c->user_id = arena_strdup(arena, t->user_id);
    c->title = arena_strdup(arena, t->title);
    c->description = arena_strdup(arena, t->description);
    c->completed_at = arena_strdup(arena, t->completed_at);
    c->tags = arena_strdup(arena, t->tags);
    c->due_date = arena_strdup(arena, t->due_date);
    c->due_time = arena_strdup(arena, t->due_time);
    c->created_at = arena_strdup(arena, t->created_at);
    c->updated_at = arena_strdup(arena, t->updated_at);
    return c;
}

/* ---- the change log (the caller holds the worker lock) -------------------- */

/* Appends one event to user_id's log inside the open write transaction: the
 * counter row hands out the id. */
static store_status_t event_append(sqlite_worker_t *w, const char *user_id, const char *type,
                                   const char *data)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_EVENT_BUMP, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare event counter");
    bind_text(st, 1, user_id);
    store_status_t status = step_row(w, st, "event counter");
    int64_t id = status == STORE_OK ? sqlite3_column_int64(st, 0) : 0;
    stmt_done(st);
    if (status != STORE_OK)
        return status == STORE_NOT_FOUND ? STORE_ERROR : status;
    st = fixed(w, ST_EVENT_INSERT, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare event insert");
    bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, id);
    bind_text(st, 3, type);
    bind_text(st, 4, data);
    sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
    status = step_done(w, st, "event insert");
    if (status == STORE_OK) {
        w->event_user = user_id;
        w->event_last = id;
    }
    return status;
}

/* The event of a created or updated task. */
static store_status_t event_task(sqlite_worker_t *w, arena_t *arena, const char *type,
                                 const store_task_t *t)
{
    return event_append(w, t->user_id, type, store__event_task_data(arena, w->store->task_json, t));
}

static store_status_t events_read(sqlite_worker_t *w, arena_t *arena, const char *user_id,
                                  int64_t after_id, int64_t since, int limit, store_result_t *res)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_EVENT_LAST, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare event counter read");
    bind_text(st, 1, user_id);
    store_status_t status = step_row(w, st, "event counter read");
    res->last_event_id = status == STORE_OK ? sqlite3_column_int64(st, 0) : 0;
    stmt_done(st);
    if (status != STORE_OK && status != STORE_NOT_FOUND)
        return status;
    st = fixed(w, ST_EVENTS_READ, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare events read");
    bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, since);
    sqlite3_bind_int(st, 4, limit);
    res->events = arena_calloc(arena, limit > 0 ? (size_t)limit : 1, sizeof(store_event_t));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && res->n_events < (size_t)limit) {
        store_event_t *e = &res->events[res->n_events++];
        e->id = sqlite3_column_int64(st, 0);
        e->type = arena_strdup(arena, (const char *)sqlite3_column_text(st, 1));
        e->data = arena_strdup(arena, (const char *)sqlite3_column_text(st, 2));
    }
    stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW
               ? STORE_OK
               : store__sqlite_fail(w->conn.db, rc, "events read");
}

static store_status_t events_sweep(sqlite_worker_t *w, int64_t before, int limit, int64_t *n)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_EVENTS_SWEEP, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare events sweep");
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, limit);
    store_status_t status = step_done(w, st, "events sweep");
    *n = status == STORE_OK ? sqlite3_changes(w->conn.db) : 0;
    return status;
}

/* ---- task operations --------------------------------------------------------
 * Reads run on a worker's connection; writes (see the top of the file) on
 * the connection the dispatch passes, inside their savepoint. */

/* The task, or NULL with *status saying why (STORE_NOT_FOUND or a failure). */
static store_task_t *task_select(sqlite_worker_t *w, arena_t *arena, const char *user_id,
                                 int64_t id, store_status_t *status)
{
    int rc;
    store_task_t *t = NULL;
    sqlite3_stmt *st = fixed(w, ST_TASK_GET, &rc);
    if (st == NULL) {
        *status = store__sqlite_fail(w->conn.db, rc, "prepare task get");
        return NULL;
    }
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, user_id);
    *status = step_row(w, st, "task get");
    if (*status == STORE_OK) {
        t = arena_alloc(arena, sizeof(*t));
        store__sqlite_read_task(st, arena, NULL, t);
    }
    stmt_done(st);
    return t;
}

/* Inserts t with parent_id (0: none) and returns its id in *id. */
static store_status_t task_insert(sqlite_worker_t *w, const store_task_t *t, int64_t parent_id,
                                  int64_t *id)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_TASK_INSERT, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare task insert");
    bind_task(st, t);
    bind_int_or_null(st, 15, parent_id);
    store_status_t status = step_done(w, st, "task insert");
    if (status == STORE_OK)
        *id = sqlite3_last_insert_rowid(w->conn.db);
    return status;
}

static store_status_t task_create(sqlite_worker_t *w, arena_t *arena, const store_task_t *t,
                                  store_task_t **out)
{
    /* The row and its event, in the write's savepoint. */
    int64_t id = 0;
    store_status_t status = task_insert(w, t, 0, &id);
    if (status != STORE_OK)
        return status;
    *out = task_dup(arena, t);
    (*out)->id = id;
    (*out)->version = 1; /* the column's default */
    return event_task(w, arena, store__event_created, *out);
}

static store_status_t task_update(sqlite_worker_t *w, const store_task_t *t)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_TASK_UPDATE, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare task update");
    bind_task(st, t);
    sqlite3_bind_int64(st, 16, t->id);
    return step_done(w, st, "task update");
}

static store_status_t task_modify(sqlite_worker_t *w, arena_t *arena, const char *user_id,
                                  int64_t id, const store_write_opts_t *opts, store_modify_fn fn,
                                  void *fn_ctx, store_task_t **out)
{
    /* The dispatch's savepoint holds the row: nobody else writes meanwhile. */
    store_status_t status;
    store_task_t *cur = task_select(w, arena, user_id, id, &status);
    if (cur == NULL)
        return status;
    if (!store__version_expected(opts, cur->version))
        return STORE_PRECONDITION_FAILED;

    store_task_t *next = arena_alloc(arena, sizeof(*next));
    *next = *cur;
    store_task_t *successor = NULL;
    int decision = fn(fn_ctx, arena, cur, next, &successor);
    if (decision < 0)
        return STORE_REJECTED;
    if (decision == STORE_MODIFY_NO_CHANGE) {
        *out = cur; /* nothing was written */
        return STORE_OK;
    }
    if (decision != STORE_MODIFY_WRITE) {
        LOG_ERROR("sqlite: task modify: the modify function returned %d", decision);
        return STORE_ERROR;
    }

    next->id = cur->id;
    next->user_id = cur->user_id;
    next->created_at = cur->created_at;
    if (successor != NULL) {
        successor->user_id = cur->user_id; /* never anyone else's */
        status = task_insert(w, successor, cur->id, &successor->id);
        if (status != STORE_OK)
            return status;
        next->successor_id = successor->id;
    }
    next->version = cur->version + 1; /* what the UPDATE makes it */
    status = task_update(w, next);
    if (status == STORE_OK)
        status = event_task(w, arena, store__event_updated, next);
    if (status == STORE_OK && successor != NULL)
        status = event_task(w, arena, store__event_created, successor);
    if (status == STORE_OK)
        *out = task_dup(arena, next);
    return status;
}

/* Deletes the row; STORE_NOT_FOUND when there was none. */
static store_status_t task_delete_row(sqlite_worker_t *w, const char *user_id, int64_t id)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_TASK_DELETE, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare task delete");
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, user_id);
    store_status_t status = step_done(w, st, "task delete");
    if (status != STORE_OK)
        return status;
    return sqlite3_changes(w->conn.db) > 0 ? STORE_OK : STORE_NOT_FOUND;
}

/* The deletion and its event, in the write's savepoint. With expected
 * versions (If-Match) the row is read and checked first. */
static store_status_t task_delete(sqlite_worker_t *w, arena_t *arena, const char *user_id,
                                  int64_t id, const store_write_opts_t *opts)
{
    store_status_t status = STORE_OK;
    if (opts != NULL && opts->check_version) {
        const store_task_t *cur = task_select(w, arena, user_id, id, &status);
        if (cur != NULL && !store__version_expected(opts, cur->version))
            status = STORE_PRECONDITION_FAILED;
        if (status != STORE_OK)
            return status;
    }
    status = task_delete_row(w, user_id, id);
    if (status == STORE_OK)
        status = event_append(w, user_id, store__event_deleted, store__event_id_data(arena, id));
    return status;
}

/* ---- user operations ------------------------------------------------------------ */

static store_status_t user_insert(sqlite_worker_t *w, arena_t *arena, const store_user_t *u,
                                  store_user_t **out)
{
    int rc;
    sqlite3_stmt *st = fixed(w, ST_USER_INSERT, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare user insert");
    bind_text(st, 1, u->id);
    bind_text(st, 2, u->email);
    bind_text(st, 3, u->name);
    bind_text(st, 4, u->password_hash);
    bind_text(st, 5, u->created_at);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        return STORE_CONFLICT; /* email is the table's only UNIQUE key */
    if (rc != SQLITE_DONE)
        return store__sqlite_fail(w->conn.db, rc, "user insert");
    store_user_t *c = arena_alloc(arena, sizeof(*c));
    c->id = arena_strdup(arena, u->id);
    c->email = arena_strdup(arena, u->email);
    c->name = arena_strdup(arena, u->name);
    c->password_hash = arena_strdup(arena, u->password_hash);
    c->created_at = arena_strdup(arena, u->created_at);
    *out = c;
    return STORE_OK;
}

static const char *column_dup(arena_t *arena, sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    if (s == NULL)
        return NULL;
    return arena_strndup(arena, (const char *)s, (size_t)sqlite3_column_bytes(st, col));
}

static store_status_t user_select(sqlite_worker_t *w, arena_t *arena, fixed_stmt_t which,
                                  const char *key, store_user_t **out)
{
    int rc;
    sqlite3_stmt *st = fixed(w, which, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare user get");
    bind_text(st, 1, key);
    store_status_t status = step_row(w, st, "user get");
    if (status == STORE_OK) {
        store_user_t *u = arena_alloc(arena, sizeof(*u));
        u->id = column_dup(arena, st, 0);
        u->email = column_dup(arena, st, 1);
        u->name = column_dup(arena, st, 2);
        u->password_hash = column_dup(arena, st, 3);
        u->created_at = column_dup(arena, st, 4);
        *out = u;
    }
    stmt_done(st);
    return status;
}

static store_status_t user_delete(sqlite_worker_t *w, const char *id)
{
    /* The trigger deletes the user's tasks in the same transaction. */
    int rc;
    sqlite3_stmt *st = fixed(w, ST_USER_DELETE, &rc);
    if (st == NULL)
        return store__sqlite_fail(w->conn.db, rc, "prepare user delete");
    bind_text(st, 1, id);
    store_status_t status = step_done(w, st, "user delete");
    if (status != STORE_OK)
        return status;
    /* sqlite3_changes() leaves out changes made by triggers. */
    return sqlite3_changes(w->conn.db) > 0 ? STORE_OK : STORE_NOT_FOUND;
}

/* ---- the vtable ------------------------------------------------------------------- */

#define WORKER(base) ((sqlite_worker_t *)(base))

/* Every read below has one shape: call_begin, the operation, call_end. */

/* Starts a read on base: clears *res and, in memory, takes the store's
 * mutex. */
static sqlite_worker_t *call_begin(store_worker_t *base, store_result_t *res)
{
    sqlite_worker_t *w = WORKER(base);
    *res = (store_result_t){0};
    worker_lock(w, false);
    return w;
}

/* Ends a read: releases the mutex, then answers, exactly once, with the
 * database work over. */
static void call_end(sqlite_worker_t *w, const store_result_t *res, store_cb cb, void *ctx)
{
    worker_unlock(w, false);
    cb(ctx, res);
}

/* ---- writes: the arguments of each, and its handing over to the dispatch ---- */

/* A write's arguments (they live in the caller's memory until the answer). */
typedef struct sq_write {
    sqlite_write_t base; /* first: the dispatch frees the block */
    arena_t *arena;
    const char *user_id;
    int64_t id; /* a task's; a sweep's "before" */
    int limit;  /* a sweep's */
    const store_task_t *task;
    const store_user_t *user;
    store_modify_fn fn;
    void *fn_ctx;
    const store_write_opts_t *opts; /* a task write's conditions, or NULL */
    const char *event_user;         /* the events it wrote, announced after its commit: */
    int64_t event_last;             /* whose, and the newest id (0: none) */
} sq_write_t;

#define SQ_WRITE(w) ((sq_write_t *)(w))

/* Moves the events the write just wrote from the handle that ran it to the
 * write, whose savepoint keeps them only if it succeeded. Returns status. */
static store_status_t events_taken(store_worker_t *conn, sqlite_write_t *w, store_status_t status)
{
    sqlite_worker_t *c = WORKER(conn);
    if (status == STORE_OK && c->event_last != 0) {
        SQ_WRITE(w)->event_user = c->event_user;
        SQ_WRITE(w)->event_last = c->event_last;
    }
    c->event_user = NULL;
    c->event_last = 0;
    return status;
}

/* The store's commit hook: tells the listener about the events each write of
 * the committed batch wrote (on the committing thread, before the answers). */
static void events_announce(void *hook_ctx, const sqlite_write_t *writes)
{
    const sqlite_store_t *s = hook_ctx;
    if (s->on_event == NULL)
        return;
    for (const sqlite_write_t *w = writes; w != NULL; w = w->next) {
        const sq_write_t *op = (const sq_write_t *)w;
        if (w->res.status == STORE_OK && op->event_last != 0)
            s->on_event(s->on_event_ctx, op->event_user, op->event_last);
    }
}

static store_status_t run_task_create(store_worker_t *conn, sqlite_write_t *w)
{
    sq_write_t *op = SQ_WRITE(w);
    return events_taken(conn, w, task_create(WORKER(conn), op->arena, op->task, &w->res.task));
}

static store_status_t run_task_modify(store_worker_t *conn, sqlite_write_t *w)
{
    sq_write_t *op = SQ_WRITE(w);
    return events_taken(conn, w,
                        task_modify(WORKER(conn), op->arena, op->user_id, op->id, op->opts, op->fn,
                                    op->fn_ctx, &w->res.task));
}

static store_status_t run_task_delete(store_worker_t *conn, sqlite_write_t *w)
{
    sq_write_t *op = SQ_WRITE(w);
    sqlite_worker_t *c = WORKER(conn);
    arena_reset(c->scratch); /* the event's data */
    return events_taken(conn, w, task_delete(c, c->scratch, op->user_id, op->id, op->opts));
}

static store_status_t run_events_sweep(store_worker_t *conn, sqlite_write_t *w)
{
    sq_write_t *op = SQ_WRITE(w);
    return events_sweep(WORKER(conn), op->id, op->limit, &w->res.total);
}

static store_status_t run_user_create(store_worker_t *conn, sqlite_write_t *w)
{
    sq_write_t *op = SQ_WRITE(w);
    return user_insert(WORKER(conn), op->arena, op->user, &w->res.user);
}

static store_status_t run_user_delete(store_worker_t *conn, sqlite_write_t *w)
{
    return user_delete(WORKER(conn), SQ_WRITE(w)->user_id);
}

static sq_write_t *write_new(sqlite_write_fn run, store_cb cb, void *ctx)
{
    sq_write_t *op = xcalloc(1, sizeof(*op));
    op->base.run = run;
    op->base.cb = cb;
    op->base.ctx = ctx;
    return op;
}

/* Hands op to the writer (answered later on w's loop) or, in direct mode,
 * runs and answers it now. */
static void write_dispatch(sqlite_worker_t *w, sq_write_t *op)
{
    if (w->inbox != NULL) {
        store__sqlite_write_submit(w->store->writer, w->inbox, &op->base);
        return;
    }
    worker_lock(w, true);
    store__sqlite_write_direct(&w->tx, &w->base, &op->base, &w->store->hook);
    worker_unlock(w, true);
    store__sqlite_write_answer(&op->base);
}

static void sq_ping(store_worker_t *base, store_cb cb, void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    int rc = SQLITE_ERROR;
    sqlite3_stmt *st = fixed(w, ST_PING, &rc);
    if (st != NULL) {
        rc = sqlite3_step(st);
        stmt_done(st);
    }
    /* Whatever stops SELECT 1 means the database does not answer. */
    if (rc != SQLITE_ROW) {
        LOG_WARN("sqlite: ping: %s", sqlite3_errstr(rc));
        res.status = STORE_UNAVAILABLE;
    }
    call_end(w, &res, cb, ctx);
}

static void sq_task_list(store_worker_t *base, arena_t *arena, const char *user_id,
                         const store_task_query_t *q, store_cb cb, void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    /* One read transaction, so that the page and the count agree. */
    res.status = tx_begin(w, ST_BEGIN_READ);
    if (res.status == STORE_OK) {
        store_status_t status = store__sqlite_list(&w->conn, arena, user_id, q, &res);
        res.status = tx_end(w, status);
    }
    call_end(w, &res, cb, ctx);
}

static void sq_task_get(store_worker_t *base, arena_t *arena, const char *user_id, int64_t id,
                        store_cb cb, void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    res.task = task_select(w, arena, user_id, id, &res.status);
    call_end(w, &res, cb, ctx);
}

static void sq_task_create(store_worker_t *base, arena_t *arena, const store_task_t *t,
                           const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    sq_write_t *op = write_new(run_task_create, cb, ctx);
    op->arena = arena;
    op->task = t;
    op->opts = opts;
    write_dispatch(WORKER(base), op);
}

static void sq_task_modify(store_worker_t *base, arena_t *arena, const char *user_id, int64_t id,
                           const store_write_opts_t *opts, store_modify_fn fn, void *fn_ctx,
                           store_cb cb, void *ctx)
{
    sq_write_t *op = write_new(run_task_modify, cb, ctx);
    op->arena = arena;
    op->user_id = user_id;
    op->id = id;
    op->opts = opts;
    op->fn = fn;
    op->fn_ctx = fn_ctx;
    write_dispatch(WORKER(base), op);
}

static void sq_task_delete(store_worker_t *base, const char *user_id, int64_t id,
                           const store_write_opts_t *opts, store_cb cb, void *ctx)
{
    sq_write_t *op = write_new(run_task_delete, cb, ctx);
    op->user_id = user_id;
    op->id = id;
    op->opts = opts;
    write_dispatch(WORKER(base), op);
}

static void sq_user_create(store_worker_t *base, arena_t *arena, const store_user_t *u, store_cb cb,
                           void *ctx)
{
    sq_write_t *op = write_new(run_user_create, cb, ctx);
    op->arena = arena;
    op->user = u;
    write_dispatch(WORKER(base), op);
}

static void sq_user_get_by_email(store_worker_t *base, arena_t *arena, const char *email,
                                 store_cb cb, void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    res.status = user_select(w, arena, ST_USER_BY_EMAIL, email, &res.user);
    call_end(w, &res, cb, ctx);
}

static void sq_user_get(store_worker_t *base, arena_t *arena, const char *id, store_cb cb,
                        void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    res.status = user_select(w, arena, ST_USER_BY_ID, id, &res.user);
    call_end(w, &res, cb, ctx);
}

static void sq_user_delete(store_worker_t *base, const char *id, store_cb cb, void *ctx)
{
    sq_write_t *op = write_new(run_user_delete, cb, ctx);
    op->user_id = id;
    write_dispatch(WORKER(base), op);
}

static void sq_events_read(store_worker_t *base, arena_t *arena, const char *user_id,
                           int64_t after_id, int64_t since, int limit, store_cb cb, void *ctx)
{
    store_result_t res;
    sqlite_worker_t *w = call_begin(base, &res);
    /* One read transaction: the counter and the rows agree. */
    res.status = tx_begin(w, ST_BEGIN_READ);
    if (res.status == STORE_OK)
        res.status = tx_end(w, events_read(w, arena, user_id, after_id, since, limit, &res));
    call_end(w, &res, cb, ctx);
}

static void sq_events_sweep(store_worker_t *base, int64_t before, int limit, store_cb cb, void *ctx)
{
    sq_write_t *op = write_new(run_events_sweep, cb, ctx);
    op->id = before;
    op->limit = limit;
    write_dispatch(WORKER(base), op);
}

/* SQLite reports events from the committing thread (events_announce). */
static void sq_listen_start(store_t *base, store_loop_t *loop)
{
    (void)base;
    (void)loop;
}

static void sq_listen_stop(store_t *base)
{
    (void)base;
}

/* A new handle on its own connection to s's database, or NULL (logged). */
static sqlite_worker_t *worker_open(sqlite_store_t *s)
{
    sqlite_worker_t *w = xcalloc(1, sizeof(*w));
    char err[512];
    w->base.vt = &sqlite_vtable;
    w->store = s;
    worker_lock(w, false);
    int rc = store__sqlite_connect(s->path, s->memory, &w->conn.db, err, sizeof(err));
    worker_unlock(w, false);
    if (rc < 0) {
        LOG_ERROR("sqlite: %s", err);
        free(w);
        return NULL;
    }
    w->tx.db = w->conn.db;
    w->scratch = arena_new();
    return w;
}

/* Finalizes w's statements, closes its connection and frees it. */
static void worker_close(store_worker_t *base)
{
    sqlite_worker_t *w = WORKER(base);
    worker_lock(w, false);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(w->fixed[i]);
    store__sqlite_tx_dispose(&w->tx);
    store__sqlite_list_dispose(&w->conn);
    sqlite3_close(w->conn.db);
    worker_unlock(w, false);
    arena_free(w->scratch);
    free(w);
}

/* Starts s's writer on a connection of its own, once. Call with s->lock. */
static int writer_start(sqlite_store_t *s)
{
    if (s->writer != NULL)
        return 0;
    sqlite_worker_t *c = worker_open(s);
    if (c == NULL)
        return -1;
    s->writer = store__sqlite_writer_new(&c->base, c->conn.db, worker_close, &s->hook);
    if (s->writer == NULL) {
        worker_close(&c->base);
        return -1;
    }
    return 0;
}

static int sq_worker_new(store_t *base, store_loop_t *loop, store_worker_t **out)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    *out = NULL;
    sqlite_worker_t *w = worker_open(s);
    if (w == NULL)
        return STORE_UNAVAILABLE;
    /* On a loop, writes go to the writer; without one (or in memory) they
     * run here, in direct mode. */
    if (loop != NULL && !s->memory) {
        pthread_mutex_lock(&s->lock);
        int rc = writer_start(s);
        pthread_mutex_unlock(&s->lock);
        if (rc < 0) {
            worker_close(&w->base);
            return STORE_UNAVAILABLE;
        }
        w->inbox = store__sqlite_inbox_new(loop);
    }
    *out = &w->base;
    return 0;
}

static void sq_worker_free(store_worker_t *base)
{
    sqlite_worker_t *w = WORKER(base);
    store__sqlite_inbox_free(w->inbox); /* answers the writes still on their way */
    worker_close(base);
}

static void sq_worker_stats(const store_worker_t *base, store_pool_stats_t *out)
{
    const sqlite_worker_t *w = (const sqlite_worker_t *)base;
    /* One connection for reads, busy only inside a call; writes waiting for
     * their commit. */
    out->size = 1;
    out->in_use = 0;
    out->waiting = w->inbox != NULL ? (int)store__sqlite_inbox_pending(w->inbox) : 0;
    out->connected = w->conn.db != NULL;
}

static void sq_close(store_t *base)
{
    sqlite_store_t *s = (sqlite_store_t *)base;
    store__sqlite_writer_free(s->writer);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

static const store_vtable_t sqlite_vtable = {
    .name = "sqlite",
    .close = sq_close,
    .worker_new = sq_worker_new,
    .worker_free = sq_worker_free,
    .worker_stats = sq_worker_stats,
    .ping = sq_ping,
    .task_list = sq_task_list,
    .task_get = sq_task_get,
    .task_create = sq_task_create,
    .task_modify = sq_task_modify,
    .task_delete = sq_task_delete,
    .user_create = sq_user_create,
    .user_get_by_email = sq_user_get_by_email,
    .user_get = sq_user_get,
    .user_delete = sq_user_delete,
    .listen_start = sq_listen_start,
    .listen_stop = sq_listen_stop,
    .events_read = sq_events_read,
    .events_sweep = sq_events_sweep,
};

/* ---- opening ---------------------------------------------------------------------- */

/* Applies pending migrations, or checks there are none. */
static int migrate_on_open(sqlite_store_t *s, bool apply, char *err, size_t errlen)
{
    migrate_driver_t d;
    migrate__sqlite_driver(s->db, &d);
    if (apply)
        return migrate_run(&d, migrations_sqlite, migrations_sqlite_count, MIGRATE_UP, 0, NULL, err,
                           errlen);
    int pending = 0;
    if (migrate_pending(&d, migrations_sqlite, migrations_sqlite_count, &pending, err, errlen) < 0)
        return -1;
    if (pending > 0) {
        snprintf(err, errlen,
                 "the database schema is out of date (%d migration%s pending): run "
                 "`todo-server migrate up` or set MIGRATE_ON_START=true",
                 pending, pending == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

int store__sqlite_open(const char *url, const store_options_t *opts, store_t **out, char *err,
                       size_t errlen)
{
    char path[PATH_BUF];
    *out = NULL;
    if (store__sqlite_path(url, path, sizeof(path), err, errlen) < 0)
        return STORE_ERROR;

    sqlite_store_t *s = xcalloc(1, sizeof(*s));
    s->base.vt = &sqlite_vtable;
    if (strcmp(path, ":memory:") == 0) {
        static atomic_uint seq;
        char uri[128];
        snprintf(uri, sizeof(uri), "file:todo-mem-%ld-%u?mode=memory&cache=shared", (long)getpid(),
                 atomic_fetch_add(&seq, 1));
        s->path = xstrdup(uri);
        s->memory = true;
    } else {
        s->path = xstrdup(path);
    }
    pthread_mutex_init(&s->lock, NULL);
    s->hook = (sqlite_commit_hook_t){.fn = events_announce, .ctx = s};
    if (opts != NULL) {
        s->task_json = opts->task_json;
        s->on_event = opts->on_event;
        s->on_event_ctx = opts->on_event_ctx;
    }

    int status = STORE_UNAVAILABLE;
    if (store__sqlite_connect(s->path, s->memory, &s->db, err, errlen) < 0)
        goto fail;
    status = STORE_ERROR;
    if (migrate_on_open(s, opts != NULL && opts->migrate_on_start, err, errlen) < 0)
        goto fail;
    *out = &s->base;
    return 0;
fail:
    sq_close(&s->base);
    return status;
}
