/* Private to src/store/: what the PostgreSQL backend's files share. The
 * backend is the operations (store_pg.c), the list query (store_pg_list.c),
 * the connection pool under them (pg_conn.h) and the migration driver
 * (pg_migrate.c). */
#ifndef TODO_STORE_STORE_PG_H
#define TODO_STORE_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/list_count.h"
#include "store/pg_conn.h"
#include "store/store.h"

/** The columns every task query returns, in the order store__pg_read_task
 *  reads them (in binary: see pg_row_*). */
#define PG_TASK_COLUMNS                                                                            \
    "id, user_id, title, description, completed, completed_at, priority, tags, due_date, "         \
    "due_time, recurrence_pattern, recurrence_day, created_at, updated_at, successor_id, version"

enum {
    PG_MAX_PARAMS = 30,         /* parameters of the largest statement */
    PG_SQL_BUF = 2048,          /* room for any list statement's text */
    PG_COUNT_KEY = 32,          /* statement keys: the fixed ones first, then the */
    PG_LIST_KEY = 32 + 1 + 288, /* counts row and count shapes, then the list shapes */
    PG_LIST_NPARAMS = 14,       /* parameters of every list and count statement */
    PG_MAX_EVENTS = 2,          /* events one write appends (an update and its successor) */
    PG_EV_NPARAMS = 5,          /* parameters of the event statement */
};

/** One store operation: the pool's pg_op_t, then the backend's fields. */
typedef struct pg_req {
    pg_op_t op;
    arena_t *arena; /* the caller's: results go there */
    store_cb cb;
    void *ctx;
    store_modify_fn fn; /* modify */
    void *fn_ctx;
    const store_write_opts_t *opts; /* writes: the caller's, or NULL */
    unsigned key;                   /* the statement to run */
    unsigned count_key;             /* list: the count statement */
    struct pg_list *list;           /* list: the query's state (store_pg_list.c) */
    int ix;                         /* result index of the last statement sent */
    long p[PG_MAX_PARAMS];          /* parameter handles ($1 is p[0]); -1 is NULL */
    const char *owner;              /* list: the user id every row shares */
    int64_t limit, offset;
    store_task_t *tasks; /* list: the page read */
    size_t n_tasks;
    store_task_json_fn task_json;          /* the worker's encoder, for event data */
    int task_ix;                           /* result index of the task statement */
    int n_events;                          /* events the write appends */
    long ev[PG_MAX_EVENTS][PG_EV_NPARAMS]; /* their parameters (handles) */
    int64_t after_id, since;               /* events_read */
} pg_req_t;

/** A new operation on worker base for a caller (arena may be NULL when the
 *  result has no strings). */
pg_req_t *store__pg_req_new(store_worker_t *base, arena_t *arena, store_cb cb, void *ctx);
/** Keeps s (NULL allowed) as parameter $n. */
void store__pg_keep(pg_req_t *r, int n, const char *s);
/** Keeps v in decimal as parameter $n. */
void store__pg_keep_int(pg_req_t *r, int n, int64_t v);
/** Runs statement key (one command) and then done. */
void store__pg_start(pg_req_t *r, unsigned key, pg_op_done_fn done);
/** Sends statement key with the kept parameters on c, preparing it first if
 *  c has not yet; r->ix becomes its result's index. Returns 0 or -1. */
int store__pg_send_statement(pg_req_t *r, pg_conn_t *c, unsigned key);
/** The result of the last statement sent if it has status want; NULL
 *  (logged) otherwise. */
const PGresult *store__pg_result_of(const pg_req_t *r, ExecStatusType want);
/** Answers the caller with res (in its arena) and frees r. */
void store__pg_finish(pg_req_t *r, store_result_t *res);
/** Answers the caller with a bare status and frees r. */
void store__pg_finish_status(pg_req_t *r, int status);
/** Reads row of res (PG_TASK_COLUMNS) into t, strings in arena; owner, when
 *  set, is shared as every row's user_id. Returns false (logged) when a
 *  value is not what the schema says. */
bool store__pg_read_task(const PGresult *res, int row, arena_t *arena, const char *owner,
                         store_task_t *t);

/** The SQL of list or count statement key (PG_COUNT_KEY and up), into buf
 *  (PG_SQL_BUF bytes), which it returns (store_pg_list.c). */
const char *store__pg_list_sql(unsigned key, char *buf);
/** The worker's cache of filtered list counts (store_pg.c). */
list_count_cache_t *store__pg_worker_counts(store_worker_t *base);
/** store_task_list (store_pg_list.c). */
void store__pg_task_list(store_worker_t *w, arena_t *arena, const char *user_id,
                         const store_task_query_t *q, store_cb cb, void *ctx);

#endif
